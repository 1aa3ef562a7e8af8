"""`ncmec explain GEO YEAR METRIC`: where a number comes from, in one place.

For one key (place, year, metric): the fact and what the catalog says of the metric; every
document that states it, with its evidence and the number in it; the checks it passed; any
rejection of the same key; its history; and, for a state figure, the national figure and the
state's share. A key with no fact says why: never stated, rejected, or a conflict, with the check
and the reason of each rejection; a value rejected for naming another year or place than its sheet
is explained under the key it names (no sheet of that year or place is loaded). The CLI prints
an `Explanation` as text or JSON (explain_text.py); `ncmec report` marks a figure in its
sentence with `number_in` too.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

import duckdb

from pipelines.core import catalog, figures, registry
from pipelines.core.printable import shortened
from pipelines.store import warehouse

_CONFLICT = "no value has a majority"


class UnknownKey(Exception):
    """A place, metric or year the warehouse does not know; the message is one line with the
    nearest valid names."""


@dataclass(frozen=True)
class Source:
    """A document that states the key's value."""

    source_file: str
    sha256: str
    load_id: str
    value: int | float
    qualifier: str
    accepted: bool
    evidence: str
    char_start: int
    char_end: int
    number: tuple[int, int] | None  # where the figure is in the evidence, to highlight


@dataclass
class Explanation:
    geo: str
    place: str
    year: int
    metric: str
    scope: str
    unit: str
    program: str
    description: str
    caveat: str | None
    fact: dict[str, Any] | None  # value, qualifier, unit, n_sources, source_file, load_id
    sources: list[Source] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # passed (empty when there is no fact)
    rejections: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    national: dict[str, Any] | None = None  # the national fact of the metric and year, and the share
    outcome: str = "fact"  # or rejected, conflict, never_stated
    why_no_fact: str | None = None  # the outcome in a sentence, with each rejection's check and reason


def resolve_geo(text: str) -> str:
    """A USPS code from a code or a name, in any case ("wi", "Wisconsin", "us", "national")."""
    try:
        return catalog.place_code(text)
    except catalog.UnknownPlace as exc:
        raise UnknownKey(str(exc)) from None


def resolve_metric(text: str, geo: str) -> catalog.About:
    scope = catalog.scope_of(geo)
    metric = catalog.about().get((text, scope))
    if metric:
        return metric
    names = sorted({m for m, _ in catalog.about()})
    shown = shortened(repr(text))
    if text in names:  # a metric of the other scope
        other = next(s for m, s in catalog.about() if m == text)
        raise UnknownKey(f"{text} is a {other} metric; for {geo} use one of the {scope} metrics "
                         f"({', '.join(m for m, s in catalog.about() if s == scope)})")
    near = difflib.get_close_matches(text, names, n=3, cutoff=0.4)
    raise UnknownKey(f"unknown metric {shown}" + (f"; did you mean {', '.join(near)}?" if near else
                                                    "; `ncmec query \"select metric from metrics\"` lists them"))


Key = tuple[str, int, str]  # (geo, year, metric)
_STATED_SQL = """select 1 from observations where geo = ? and year = ? and metric = ?
                 union all select 1 from rejections where geo = ? and year = ? and metric = ? limit 1"""


def _check_key(con: duckdb.DuckDBPyConnection, key: Key) -> None:
    """UnknownKey unless a loaded sheet is of the key's place and year, or a value of the key was
    stated or rejected all the same (a sentence about another year or place than its sheet's)."""
    geo, year, _ = key
    years = [y for (y,) in con.execute(
        "select distinct year from documents where status = 'loaded' and (geo = ? or ? = 'US') order by year",
        [geo, geo]).fetchall()]
    if year in years or con.execute(_STATED_SQL, list(key) * 2).fetchall():
        return
    shown = ", ".join(map(str, years)) or "none"
    raise UnknownKey(f"no sheet of {geo} {year} is loaded (years loaded for {geo}: {shown})")


def number_in(evidence: str, value: int | float, qualifier: str) -> tuple[int, int] | None:
    """Where the figure stands in its evidence ("8,468", "36.2 million", "19%")."""
    candidates = [f"{value:,.0f}", f"{value:.0f}", f"{value:g}"]
    for scale, word in ((1e9, "billion"), (1e6, "million"), (1e3, "thousand")):
        if value >= scale:
            candidates.insert(0, f"{value / scale:g} {word}")
    for text in candidates:
        m = re.search(r"(?<![\d,.])" + re.escape(text).replace(r"\ ", r"\s+") + r"(?![\d,])", evidence)
        if m:
            return m.span()
    return None



# Every query reads the one key ($geo, $year, $metric).
_KEY = "(geo = $geo and year = $year and metric = $metric)"
# Figures are read exact (figures.exact), and given back as JSON prints them (`_figures`).
_FACTS_SQL = f"""select geo, year, metric, {figures.exact()} as value, qualifier, unit, n_sources, source_file, load_id
                 from facts where {_KEY} or (geo = 'US' and year = $year and metric = $metric)"""
_SOURCES_SQL = f"""select o.geo, o.year, o.metric, o.source_file, d.sha256, o.load_id,
                          {figures.exact("o.")} as value, o.qualifier, o.accepted, o.evidence, o.char_start, o.char_end
                   from (select * from observations where {_KEY}) o join documents d using (source_file)
                   order by o.source_file, o.char_start"""
_REJECTIONS_SQL = f"""select geo, year, metric, source_file, "check", reason, evidence from rejections
                      where {_KEY} order by source_file, 5"""
_HISTORY_SQL = f"""select f.geo, f.year, f.metric, f.change, {figures.exact("f.old_")} as old_value,
                          {figures.exact("f.new_")} as new_value, f.old_qualifier, f.new_qualifier, f.load_id,
                          r.started_at
                   from (select * from fact_changes where {_KEY}) f left join load_runs r using (load_id)
                   order by r.started_at, f.load_id"""


def explain(con: duckdb.DuckDBPyConnection, geo_text: str, year: int, metric_text: str) -> Explanation:
    """The explanation of one key, read from the warehouse; UnknownKey for a key it cannot have."""
    geo = resolve_geo(geo_text)
    metric = resolve_metric(metric_text, geo)
    try:
        key = (geo, year, metric.metric)
        _check_key(con, key)
        return _explanation(con, key)
    except duckdb.Error as exc:  # a warehouse of another release, or damaged
        first = shortened(str(exc).splitlines()[0], 200)
        raise warehouse.WarehouseError(f"cannot read the warehouse: {first}") from None


def _explanation(con: duckdb.DuckDBPyConnection, key: Key) -> Explanation:
    """The explanation of a key that _check_key admitted (a place and metric of the catalog)."""
    params: dict[str, Any] = {"geo": key[0], "year": key[1], "metric": key[2]}
    facts = {_key(r): r for r in _figures(con, _FACTS_SQL, params)}
    metric = catalog.about()[(key[2], catalog.scope_of(key[0]))]
    e = Explanation(geo=key[0], place=catalog.geo_name(key[0]), year=key[1], metric=metric.metric,
                    scope=metric.scope, unit=metric.unit, program=metric.program,
                    description=metric.description, caveat=metric.caveat, fact=facts.get(key))
    for s in _figures(con, _SOURCES_SQL, params):
        e.sources.append(Source(**_unkeyed(s), number=number_in(s["evidence"], s["value"], s["qualifier"])))
    e.rejections = [_unkeyed(r) for r in warehouse.rows(con, _REJECTIONS_SQL, params)]
    e.history = [_unkeyed(h) for h in _figures(con, _HISTORY_SQL, params)]
    if e.fact:
        e.fact = _unkeyed(e.fact)
        e.checks = registry.passed(e.metric, e.scope, e.unit)
        e.national = _national(e, facts.get((catalog.NATION, e.year, e.metric)))
    else:
        e.outcome, e.why_no_fact = _why_no_fact(e)
    return e


def _figures(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of `sql`, each figure as JSON prints it: a count an integer (figures.number)."""
    return [{k: figures.number(v) if k in ("value", "old_value", "new_value") and v is not None else v
             for k, v in row.items()} for row in warehouse.rows(con, sql, params)]


def _key(row: dict[str, Any]) -> Key:
    return row["geo"], row["year"], row["metric"]


def _unkeyed(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("geo", "year", "metric")}


def _national(e: Explanation, national: dict[str, Any] | None) -> dict[str, Any] | None:
    """The national fact of a state fact's metric and year, and the state's share of it."""
    if e.scope != "state" or national is None or e.fact is None:
        return None
    share = e.fact["value"] / national["value"] if national["value"] else None
    return {"value": national["value"], "qualifier": national["qualifier"], "source_file": national["source_file"],
            "share": share}


def _why_no_fact(e: Explanation) -> tuple[str, str]:
    """The outcome of a key with no fact, and why, with the check and the reason of each distinct
    rejection ("rejected (breakdown_sums): The missing-children rows add up to ...")."""
    said = "; ".join(dict.fromkeys(f"({r['check']}): {r['reason']}" for r in e.rejections))
    if any(_CONFLICT in r["reason"] for r in e.rejections):
        return "conflict", f"a conflict, rejected {said}"
    if e.rejections:
        return "rejected", f"rejected {said}"
    return "never_stated", f"never stated: no loaded sheet of {e.year} states {e.metric} for {e.place}"
