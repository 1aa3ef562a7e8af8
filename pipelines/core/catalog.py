"""The metric catalog and the geo reference: the data every other stage reads.

The catalog lives in `catalog.toml` beside this module; places come from the `us` package
(states, DC, territories) plus the nation, `US`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pipelines.core.anchors import Anchored, anchored

# The number words and scales, as the patterns read them (re-exported for the extractor).
from pipelines.core.patterns import NUMBER_WORDS as NUMBER_WORDS
from pipelines.core.patterns import SCALES as SCALES
from pipelines.core.patterns import compile_pattern, lead_of, tail_of

# The places (pipelines/core/places.py), read through the catalog as before.
from pipelines.core.places import NATION as NATION
from pipelines.core.places import Geo as Geo
from pipelines.core.places import UnknownPlace as UnknownPlace
from pipelines.core.places import geo_name as geo_name
from pipelines.core.places import geos as geos
from pipelines.core.places import known_geos as known_geos
from pipelines.core.places import place_code as place_code
from pipelines.core.places import resolve_place as resolve_place

QUALIFIERS = ("exact", "approximate", "at_least", "at_most")
SCOPES = ("state", "national")

@dataclass(frozen=True)
class Metric:
    metric: str
    scope: str
    program: str
    unit: str
    description: str
    example: str
    evidence: str  # "sentence" or "row"
    title: str  # what a page calls it ("CyberTipline reports to law enforcement")
    patterns: tuple[re.Pattern[str], ...]  # sentence metrics: what states the figure
    label: re.Pattern[str] | None = None  # table rows: the row's label (pipelines/extract/breakdown.py)
    caveat: str | None = None  # what a user must know before comparing or adding it up
    # The words that lead up to the figure, with the figure ("NCMEC reviewed 155"), where they
    # are distinctive enough to say the sentence is there even when its end is not.
    leads: tuple[re.Pattern[str], ...] = ()
    # The words after the figure ("CyberTipline reports were made available to law enforcement in
    # {PLACE}"), where distinctive enough to say the sentence is there when its figure is not.
    tails: tuple[re.Pattern[str], ...] = ()
    # Both again, for the skeleton (leads first, then tails).
    skeleton_words: tuple[tuple[str, re.Pattern[str]], ...] = ()
    # The patterns and the label again, each with the literal words its matches hold
    # (pipelines/core/anchors.py), to be searched from where a match can start.
    anchored: tuple[Anchored, ...] = ()
    label_anchored: Anchored | None = None
    # The patterns for the sheet's skeleton, tried where the text has words glued or split.
    skeletons: tuple[Anchored, ...] = ()
    # What an infographic sets under the figure instead of the sentence (pipelines/extract/captions.py).
    caption: re.Pattern[str] | None = None
    # Words only its sentence or caption prints, for the skeleton: there, the figure is lost, not absent.
    mentions: tuple[re.Pattern[str], ...] = ()


QUALIFIER_MARK = {"exact": "", "approximate": "≈", "at_least": "≥", "at_most": "≤"}


def unit_words(unit: str) -> str:
    """A unit as a reader reads it: "pieces of content", "%"."""
    return "%" if unit == "percent" else unit.replace("_", " ")


def fmt(value: float, unit: str = "", qualifier: str = "exact") -> str:
    """A value as every page and message prints it: 8,468, ≈36,200,000, ≥18,000, 19%."""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"
    return QUALIFIER_MARK.get(qualifier, "") + text + ("%" if unit == "percent" else "")


_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")  # a metric name is a column of the wide view too


@cache
def _raw() -> dict[str, Any]:
    """catalog.toml, read and parsed once."""
    return tomllib.loads(resources.files(__package__).joinpath("catalog.toml").read_text("utf-8"))


@cache
def load_catalog() -> tuple[tuple[Metric, ...], dict[str, str]]:
    raw = _raw()
    qualifiers: dict[str, str] = raw["qualifiers"]
    bad = {q for q in qualifiers.values() if q not in QUALIFIERS}
    if bad:
        raise ValueError(f"catalog.toml: unknown qualifier(s) {sorted(bad)}")
    metrics = []
    for entry in raw["metric"]:
        if not _IDENTIFIER.fullmatch(entry["metric"]):
            raise ValueError(f"catalog.toml: the metric name {entry['metric']!r} is not a lowercase identifier")
        if entry["scope"] not in SCOPES or entry["evidence"] not in ("sentence", "row"):
            raise ValueError(f"catalog.toml: bad scope or evidence for {entry['metric']}")
        if (entry["evidence"] == "row") != ("label" in entry) or ("label" in entry) == ("patterns" in entry):
            raise ValueError(f"catalog.toml: {entry['metric']} needs patterns (a sentence) or a label (a table row)")
        sources = entry.get("patterns", ())
        patterns = tuple(compile_pattern(p, qualifiers) for p in sources)
        leads = [lead for p in sources if (lead := lead_of(p))]
        tails = [tail for p in sources if (tail := tail_of(p))]
        metrics.append(
            Metric(
                **{k: v for k, v in entry.items() if k not in ("patterns", "label", "caption", "mentions")},
                caption=compile_pattern(entry["caption"], qualifiers) if "caption" in entry else None,
                mentions=tuple(compile_pattern(m, qualifiers, skeleton=True) for m in entry.get("mentions", ())),
                patterns=patterns,
                anchored=tuple(anchored(s, p) for s, p in zip(entry.get("patterns", ()), patterns, strict=True)),
                # A row label's words may be glued ("Children MissingFrom Social Services", pymupdf4llm).
                label=(label := compile_pattern(re.sub(r" (?!\?)", " ?", entry["label"]), qualifiers)
                       if "label" in entry else None),
                label_anchored=anchored(entry["label"], label) if label else None,
                leads=tuple(compile_pattern(lead, qualifiers) for lead in leads),
                tails=tuple(compile_pattern(tail, qualifiers) for tail in tails),
                skeleton_words=tuple((kind, compile_pattern(words, qualifiers, skeleton=True))
                                     for kind, group in (("lead", leads), ("tail", tails)) for words in group),
                # The same words are in every skeleton match (glued, they are still there).
                skeletons=tuple(anchored(s, compile_pattern(s, qualifiers, skeleton=True)) for s in sources),
            )
        )
    keys = [(m.metric, m.scope) for m in metrics]
    if len(set(keys)) != len(keys):
        raise ValueError("catalog.toml: a (metric, scope) pair is listed twice")
    return tuple(metrics), qualifiers


def metrics() -> tuple[Metric, ...]:
    return load_catalog()[0]


@dataclass(frozen=True)
class About:
    """What a metric is, without the patterns that read it."""

    metric: str
    scope: str
    program: str
    unit: str
    description: str
    title: str
    caveat: str | None
    row: bool  # a row of the missing-children table (its `label`), not a sentence


@cache
def about() -> dict[tuple[str, str], About]:
    """Each (metric, scope) of catalog.toml as a command that only names metrics needs it (explain,
    the checks a fact passed): the same entries as `metrics()`, whose patterns cost a command that
    compiles them about 70 ms (on a start of 0.3 s) before it reads anything."""
    return {(e["metric"], e["scope"]): About(e["metric"], e["scope"], e["program"], e["unit"], e["description"],
                                             e["title"], e.get("caveat"), "label" in e) for e in _raw()["metric"]}


def metric_names() -> list[str]:
    """Every metric name once (a name of both scopes too), in the catalog's order."""
    return list(dict.fromkeys(m.metric for m in metrics()))


BREAKDOWN_TOTAL = "missing_child_cases"  # the state figure the missing-children table breaks down


def breakdown_rows() -> tuple[str, ...]:
    """The missing-children table's rows (the metrics with a `label`), in the catalog's order."""
    return tuple(m.metric for m in about().values() if m.row)


@cache
def caveats() -> tuple[str, ...]:
    """What every user must know before comparing or adding the figures up (catalog.toml), with
    the names of both scopes written from the metrics."""
    scopes: dict[str, set[str]] = {}
    for m in metrics():
        scopes.setdefault(m.metric, set()).add(m.scope)
    both = [f"`{name}`" for name, held in scopes.items() if held == set(SCOPES)]
    listed = ", ".join(both[:-1]) + f" and {both[-1]}" if len(both) > 1 else "".join(both)
    count = next((w for w, n in NUMBER_WORDS.items() if n == len(both)), str(len(both)))
    return tuple(c.format(both_scopes=listed, Both_count=count.capitalize()) for c in _raw()["caveats"])


def qualifier_for(phrase: str | None, has_scale: bool) -> str:
    """The qualifier of a figure: its phrase wins; a bare scaled figure is a rounded one."""
    if phrase:
        return _qualifiers()["".join(phrase.lower().split())]
    return "approximate" if has_scale else "exact"


@cache
def _qualifiers() -> dict[str, str]:
    """Each qualifier phrase without its white space ("morethan", as a skeleton reads it)."""
    return {"".join(q.split()): v for q, v in load_catalog()[1].items()}


@cache
def metric_index() -> dict[tuple[str, str], Metric]:
    return {(m.metric, m.scope): m for m in metrics()}


def scope_of(geo: str) -> str:
    return "national" if geo == NATION else "state"
