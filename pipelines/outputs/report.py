"""`ncmec report`: one self-contained HTML page, made for 56 places over many years.

For each state metric: the latest year with every place ranked, and the change over the years
as small multiples (a card per place, by name). Then the national figures by year, the
missing-children breakdown of the latest year, a section per place (every value by metric and
year, and the sentence each comes from), and the validation summary. Titles and units come from
the catalog. Only facts are drawn (pipelines/outputs/reportdata.py): a rejected value appears in
the validation section and nowhere as a value; a key stated by several documents is drawn once.
The page fetches nothing and runs no script; the markup is templates/report.html.j2.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.core import catalog, registry
from pipelines.extract.breakdown import ROWS as BREAKDOWN_ROWS
from pipelines.extract.breakdown import TOTAL as BREAKDOWN_TOTAL
from pipelines.outputs import atomic as outputs
from pipelines.outputs import charts
from pipelines.outputs.dictionary import templates
from pipelines.outputs.explain import number_in
from pipelines.outputs.reportdata import Fact, Key, ReportError, Warehouse, read

__all__ = ["ReportError", "ReportSummary", "build", "write"]

Row = dict[str, Any]  # what one section, chart or table row of the template reads
NAMES = {g.geo: g.name for g in catalog.geos()}
KINDS = {g.geo: g.kind for g in catalog.geos()}
FILES_SHOWN = 3  # documents named with a value; the rest are counted


@dataclass(frozen=True)
class ReportSummary:
    out: Path
    charts: int
    rejections: int
    bytes: int


# A value's id on the page is short (the page holds one per value, twice: 6,875 at the real scale):
# the place, the year and a letter for the metric, by its place in the catalog.
CODES = {m: chr(ord("a") + i) for i, m in enumerate(dict.fromkeys(m for m, _ in catalog.about()))}


def anchor(geo: str, year: int, metric: str) -> str:
    """The id of a value's evidence on the page: WI2023c."""
    return f"{geo}{year}{CODES.get(metric, metric)}"


def name(geo: str) -> str:
    return NAMES.get(geo, geo)


def by_name(geos: Any) -> list[str]:
    return sorted(geos, key=lambda g: name(g).casefold())


def sources(f: Fact) -> str:
    shown = ", ".join(f.files[:FILES_SHOWN])
    more = len(f.files) - FILES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def tip(f: Fact) -> str:
    """A value's tooltip: place, year, figure, unit, and the documents that state it."""
    return f"{name(f.geo)} {f.year}: {charts.fmt(f.value, f.unit, f.qualifier)} {catalog.unit_words(f.unit)} — " \
           f"{sources(f)}"


def plain(evidence: str) -> str:
    """Evidence as the page prints it: white space folded, and an exporter's ** and __ emphasis
    taken out (markup, not text: the warehouse keeps it verbatim)."""
    return " ".join(evidence.replace("**", "").replace("__", "").split())


def said(f: Fact) -> tuple[str, str, str]:
    """A fact's evidence split around its figure, which the page marks."""
    text = plain(f.evidence)
    a, b = number_in(text, f.value, f.qualifier) or (len(text), len(text))
    return text[:a], text[a:b], text[b:]


def ranked_year(facts: list[Fact]) -> tuple[int, list[int]]:
    """The year to rank: the latest that at least half as many places state as the best-covered
    year does (the first sheets of a new year are not a ranking of two places), and the newer
    years left out."""
    places: dict[int, int] = defaultdict(int)
    for f in facts:
        places[f.year] += 1
    best = max(places.values())
    year = max(y for y, n in places.items() if 2 * n >= best)
    return year, sorted(y for y in places if y > year)


def _ranked(m: catalog.About, facts: list[Fact], rejected: dict[Key, int]) -> Row:
    """A year of the metric (ranked_year), every place that states it, largest first."""
    year, newer = ranked_year(facts)
    latest = sorted((f for f in facts if f.year == year), key=lambda f: (-f.value, name(f.geo)))
    top = latest[0].value if latest else 0
    return {"year": year, "newer": [(y, sum(f.year == y for f in facts)) for y in newer],
            "rows": [{"name": name(f.geo), "text": charts.fmt(f.value, f.unit, f.qualifier),
                                    "width": charts.width(f.value, top), "exact": f.qualifier == "exact",
                                    "href": anchor(*f.key), "tip": tip(f)} for f in latest],
            "rejected": [{"name": name(g), "href": f"rejection-{i}"} for (g, y, k), i in rejected.items()
                         if y == year and k == m.metric and g != catalog.NATION]}


def _card(geo: str, series: dict[int, Fact], years: list[int]) -> Row:
    first, last = series[min(series)], series[max(series)]
    change = None
    if last.year != first.year and first.value:
        change = f"{(last.value - first.value) / first.value:+,.0%} since {first.year}"
    return {"name": name(geo), "geo": geo, "spark": charts.spark(years, {y: f.value for y, f in series.items()}),
            "latest": charts.fmt(last.value, last.unit, last.qualifier), "latest_year": last.year,
            "change": change, "href": anchor(*last.key),
            "tip": f"{name(geo)}: " + "; ".join(f"{y} {charts.fmt(series[y].value)}" for y in sorted(series))}


def _multiples(facts: list[Fact], years: list[int]) -> list[Row]:
    """A card per place, by name: its line over the years, its latest figure and the change."""
    per_place: dict[str, dict[int, Fact]] = defaultdict(dict)
    for f in facts:
        per_place[f.geo][f.year] = f
    return [_card(geo, per_place[geo], years) for geo in by_name(per_place)]


def _metric_sections(w: Warehouse, rejected: dict[Key, int]) -> list[Row]:
    sections = []
    for m in (m for m in catalog.about().values() if m.scope == "state"):
        facts = [f for f in w.facts if f.metric == m.metric and f.geo != catalog.NATION]
        years = sorted({f.year for f in facts})
        section: Row = {"metric": m, "unit": catalog.unit_words(m.unit), "id": f"metric-{m.metric}",
                        "ranked": _ranked(m, facts, rejected) if facts else None, "years": years,
                        "multiples": _multiples(facts, years) if len(years) > 1 else []}
        sections.append(section)
    return sections


def _national(w: Warehouse) -> list[Row]:
    cards = []
    for m in (m for m in catalog.about().values() if m.scope == "national"):
        facts = {f.year: f for f in w.facts if f.geo == catalog.NATION and f.metric == m.metric}
        if not facts:
            continue
        cards.append({"metric": m, "unit": catalog.unit_words(m.unit),
                      "chart": charts.columns({y: f.value for y, f in facts.items()}, m.unit),
                      "facts": [facts[y] for y in sorted(facts)],
                      "tips": {y: tip(f) for y, f in facts.items()}, "caveat": m.caveat})
    return cards


def _breakdown(w: Warehouse, rejected: dict[Key, int]) -> Row | None:
    """A year's tables (the one ranked_year picks), a stacked bar per place, largest total first."""
    parts = {f.key: f for f in w.facts if f.metric in (BREAKDOWN_TOTAL, *BREAKDOWN_ROWS) and f.geo != catalog.NATION}
    totals = [f for f in parts.values() if f.metric == BREAKDOWN_TOTAL
              and any((f.geo, f.year, r) in parts for r in BREAKDOWN_ROWS)]
    if not totals:
        return None
    year, _ = ranked_year(totals)
    latest = sorted((f for f in totals if f.year == year), key=lambda f: (-f.value, name(f.geo)))
    top = latest[0].value
    colors = dict(zip(BREAKDOWN_ROWS, charts.PALETTE, strict=False))
    titles = {m.metric: m.title for m in catalog.about().values() if m.scope == "state"}
    rows = [{"name": name(t.geo), "total": charts.fmt(t.value), "href": anchor(*t.key),
             "parts": [{"width": charts.width(p.value, top), "color": colors[p.metric], "href": anchor(*p.key),
                        "tip": f"{titles[p.metric]}: {tip(p)}"}
                       for r in BREAKDOWN_ROWS if (p := parts.get((t.geo, year, r)))]} for t in latest]
    left_out = {g: i for (g, y, k), i in sorted(rejected.items(), key=lambda kv: kv[1], reverse=True)
                if y == year and k in (BREAKDOWN_TOTAL, *BREAKDOWN_ROWS)}  # each place's first rejection
    return {"year": year, "rows": rows, "legend": [(titles[r], colors[r]) for r in BREAKDOWN_ROWS],
            "left_out": [{"name": name(g), "href": f"rejection-{left_out[g]}"} for g in by_name(left_out)]}


def _cell(key: Key, fact: Fact | None, rejected: dict[Key, int]) -> Row | None:
    """A place table's cell: the value, linked to its evidence; "rejected", linked to why; or none."""
    if fact:
        return {"text": charts.fmt(fact.value, fact.unit, fact.qualifier), "href": anchor(*key), "bad": False}
    if key in rejected:
        return {"text": "rejected", "href": f"rejection-{rejected[key]}", "bad": True}
    return None


def _places(w: Warehouse, rejected: dict[Key, int]) -> list[Row]:
    """A section per place: a table of metric by year, newest first, and each value's evidence."""
    state = [m for m in catalog.about().values() if m.scope == "state"]
    facts: dict[str, dict[Key, Fact]] = defaultdict(dict)
    for f in w.facts:
        if f.geo != catalog.NATION:
            facts[f.geo][f.key] = f
    sections = []
    for geo in by_name(set(facts) | {g for g, _, _ in rejected if g != catalog.NATION}):
        mine = facts.get(geo, {})
        years = sorted({y for _, y, _ in mine} | {y for g, y, _ in rejected if g == geo}, reverse=True)
        rows = [{"title": m.title, "cells": [_cell((geo, y, m.metric), mine.get((geo, y, m.metric)), rejected)
                                             for y in years]} for m in state]
        evidence = [{"id": anchor(*v.key), "year": v.year, "title": m.title, "fact": v,
                     "text": charts.fmt(v.value, v.unit, v.qualifier), "said": said(v), "sources": sources(v)}
                    for y in years for m in state if (v := mine.get((geo, y, m.metric)))]
        sections.append({"geo": geo, "name": name(geo), "kind": KINDS.get(geo, ""), "years": years, "rows": rows,
                         "evidence": evidence})
    return sections


def _validation(w: Warehouse) -> Row:
    means = {c.name: c.means for c in registry.CHECKS}
    counts: dict[str, int] = defaultdict(int)
    for r in w.rejections:
        counts[r.check] += 1
    titles = {(m.metric, m.scope): m.title for m in catalog.about().values()}
    scope = {None: "", catalog.NATION: "national"}
    rows = [{"id": f"rejection-{i}", "place": name(r.geo) if r.geo else "", "year": r.year or "",
             "what": titles.get((r.metric or "", scope.get(r.geo, "state")), r.metric or "whole file"),
             "check": r.check, "reason": r.reason, "evidence": plain(r.evidence) if r.evidence else None,
             "file": r.source_file}
            for i, r in enumerate(w.rejections)]
    return {"counts": sorted(((c, n, means.get(c, "")) for c, n in counts.items()), key=lambda t: (-t[1], t[0])),
            "rows": rows}


def _header(w: Warehouse) -> Row:
    years = sorted({f.year for f in w.facts})
    return {"db": str(w.db), "load_id": w.load_id or "none", "made": f"{datetime.now(UTC):%Y-%m-%d %H:%M}",
            "documents": ", ".join(f"{n:,} {s}" for s, n in w.documents.items()) or "none",
            "facts": len(w.facts), "rejections": len(w.rejections),
            "places": len({f.geo for f in w.facts if f.geo != catalog.NATION}),
            "years": f"{years[0]}–{years[-1]}" if len(years) > 1 else (str(years[0]) if years else "none")}


def build(db: Path) -> tuple[str, int, int]:
    """The page's HTML, the number of charts and of rejections shown."""
    w = read(db)
    rejected = w.rejected_keys()
    metrics = _metric_sections(w, rejected)
    national = _national(w)
    breakdown = _breakdown(w, rejected)
    places = _places(w, rejected)
    page = templates().get_template("report.html.j2").render(
        header=_header(w), caveats=catalog.caveats(), metrics=metrics, national=national, breakdown=breakdown,
        places=places, validation=_validation(w), palette=charts.PALETTE, spark=charts, cols=charts,
        anchor=anchor, fmt=charts.fmt, split=said)
    count = sum(bool(s["ranked"]) + bool(s["multiples"]) for s in metrics) + len(national) + bool(breakdown)
    return page, count, len(w.rejections)


# The page says who made it in its head (templates/report.html.j2): an existing --out is
# replaced only when it says so (0.2.0's pages, which did not, by their title).
GENERATOR = b'<meta name="generator" content="ncmec report">'
OLD_TITLE = b"<title>NCMEC state fact sheets: report</title>"
HEAD_BYTES = 4096


def is_report(path: Path) -> bool:
    """Whether the file at `path` is a page `ncmec report` wrote (its first few KB say so)."""
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError:
        return False
    return GENERATOR in head or OLD_TITLE in head


def write(db: Path, out: Path) -> ReportSummary:
    """Build the page and put it at `out` whole (written beside it, then renamed)."""
    out = Path(out)
    outputs.file_target(out, db, ours=is_report, what="report page")
    page, count, rejections = build(db)
    with outputs.staged(out) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(page)
    return ReportSummary(out=out, charts=count, rejections=rejections, bytes=out.stat().st_size)
