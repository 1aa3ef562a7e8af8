"""`ncmec report`: one self-contained HTML page of charts and the validation summary.

Charts are matplotlib figures inlined as SVG: no script, font or stylesheet is fetched, so the
page renders with no network. Each bar and point carries its evidence (the sentence or table
row, and the file) as an SVG `<title>` tooltip, and a table under each chart repeats it.
Every value in a table links to its explanation further down the page: the same lines as
`ncmec explain GEO YEAR METRIC` prints (pipelines/outputs/explain.py), with a few of the documents that
state it. The charts and all data are prepared here; the markup is `templates/report.html.j2`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipelines.core import catalog, figures
from pipelines.extract.breakdown import ROWS as BREAKDOWN_ROWS
from pipelines.extract.breakdown import TOTAL as BREAKDOWN_TOTAL
from pipelines.outputs import atomic as outputs
from pipelines.outputs import charts, explain, explain_text
from pipelines.outputs.dictionary import templates
from pipelines.store import warehouse

# The missing_breakdown view's numbers (its total, a column per row, their sum) and the metric of
# each (the sum is the page's arithmetic, no metric's): from the table's rows in the catalog.
BREAKDOWN_NUMBERS = ("total", *BREAKDOWN_ROWS, "parts_sum")
BREAKDOWN_METRICS = (BREAKDOWN_TOTAL, *BREAKDOWN_ROWS, None)
SOURCES_SHOWN = 3  # documents listed per explanation; `ncmec explain` lists them all
Row = dict[str, Any]  # what one table row, section or chart of the template reads

FACTS_SQL = f"""
select f.geo, coalesce(g.name, f.geo) as name, f.year, f.metric, {figures.exact("f.")} as value, f.qualifier, f.unit,
       f.source_file, f.n_sources, o.evidence
from facts f
left join geos g on g.geo = f.geo
left join observations o
  on o.source_file = f.source_file and o.geo = f.geo and o.year = f.year
 and o.metric = f.metric and {figures.exact("o.")} = {figures.exact("f.")}
qualify row_number() over (partition by f.geo, f.year, f.metric order by o.char_start) = 1
order by f.metric, f.geo, f.year
"""
BREAKDOWN_SQL = """
select b.*, o.metric, o.evidence
from missing_breakdown b
join observations o on o.source_file = b.source_file and o.geo = b.geo and o.year = b.year
where list_contains($metrics, o.metric)
order by b.geo, b.year, b.source_file, o.char_start
"""


class ReportError(Exception):
    """The report cannot be made; the message is one line for the user."""


@dataclass(frozen=True)
class ReportSummary:
    out: Path
    charts: int
    rejections: int
    bytes: int


def _read(db: Path) -> tuple[dict[str, pd.DataFrame], dict[explain.Key, explain.Explanation]]:
    con = warehouse.connect(db, read_only=True)
    try:
        warehouse.require_warehouse(con, db)
        return {
            "facts": con.sql(FACTS_SQL).df(),
            "breakdown": con.execute(BREAKDOWN_SQL, {"metrics": [BREAKDOWN_TOTAL, *BREAKDOWN_ROWS]}).df(),
            "rejections": con.sql('select source_file, geo, year, metric, "check", reason, evidence '
                                  'from rejections order by source_file, "check", metric nulls first').df(),
            "runs": con.sql("select load_id from load_runs where status = 'completed' "
                            "order by finished_at desc limit 1").df(),
            "documents": con.sql("select status, count(*) as n from documents group by status order by status").df(),
        }, explain.explanations(con, per_key=SOURCES_SHOWN)
    except duckdb.Error as exc:
        raise ReportError(f"cannot read {db}: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()


def _header(db: Path, data: dict[str, pd.DataFrame]) -> Row:
    docs = ", ".join(f"{n} {s}" for s, n in zip(data["documents"]["status"], data["documents"]["n"], strict=True))
    return {"db": str(db), "load_id": data["runs"]["load_id"].iloc[0] if len(data["runs"]) else "none",
            "made": f"{datetime.now(UTC):%Y-%m-%d %H:%M}", "documents": docs or "none",
            "facts": len(data["facts"]), "rejections": len(data["rejections"])}


def anchor(geo: str, year: int, metric: str) -> str:
    """The id of a key's explanation on the page."""
    return f"explain-{geo}-{year}-{metric}"


def _evidence(rows: pd.DataFrame, by: str = "place") -> list[Row]:
    """Every value with its file and evidence; `by` is the first column: the place or the metric."""
    return [{"label": r.name if by == "place" else r.metric, "year": r.year, "value": charts.fmt(r.value, r.unit),
             "anchor": anchor(r.geo, r.year, r.metric), "qualifier": r.qualifier, "sources": r.n_sources,
             "file": r.source_file, "evidence": charts.said(r)} for r in rows.itertuples()]


def _explained(explanations: dict[explain.Key, explain.Explanation]) -> list[Row]:
    """Each key's explanation as `ncmec explain` prints it: lines of (style, parts), where an
    evidence line's parts are the text before the figure, the figure and the text after it."""
    return [{"id": anchor(*key), "title": lines[0][1],
             "lines": [(style, text.strip().split("\x00")) for style, text in lines[1:]]}
            for key, lines in ((k, explain_text.as_text(explanations[k])) for k in sorted(explanations))]


def _state_metrics(figs: charts.Figures, facts: pd.DataFrame) -> list[Row]:
    sections = []
    for m in (m for m in catalog.metrics() if m.scope == "state"):
        rows = facts[(facts["metric"] == m.metric) & (facts["geo"] != catalog.NATION)]
        section: Row = {"metric": m, "by_place": None, "trend": None, "evidence": []}
        if not rows.empty:
            section |= {"by_place": charts.across_places(figs, rows, f"{m.metric} by place"),
                        "trend": charts.trend(figs, rows, f"{m.metric} across years"), "evidence": _evidence(rows)}
        sections.append(section)
    return sections


def _breakdown(figs: charts.Figures, bd: pd.DataFrame, explained: set[explain.Key]) -> Row | None:
    if bd.empty:
        return None
    sheets = bd.drop(columns=["metric", "evidence"]).drop_duplicates(["source_file", "geo", "year"])
    evidence = {(r.source_file, r.geo, r.metric): r.evidence for r in bd.itertuples()}
    return {
        "chart": charts.breakdown_chart(figs, sheets, evidence),
        "sheets": [{"geo": s.geo, "year": s.year, "file": s.source_file,
                    "numbers": [{"value": "" if pd.isna(v) else charts.fmt(v),
                                 "anchor": anchor(s.geo, s.year, m) if m and (s.geo, s.year, m) in explained else None}
                                for v, m in zip((getattr(s, n) for n in BREAKDOWN_NUMBERS), BREAKDOWN_METRICS,
                                                strict=True)],
                    "agrees": None if pd.isna(s.agrees) else bool(s.agrees)} for s in sheets.itertuples()],
        "stated": [r | {"anchor": anchor(r["geo"], r["year"], r["metric"])}
                   for r in bd[["geo", "year", "metric", "source_file", "evidence"]].to_dict("records")],
    }


def _national(figs: charts.Figures, national: pd.DataFrame) -> Row | None:
    if national.empty:
        return None
    years = sorted(national["year"].unique())
    cells = {(r.metric, r.year): {"value": charts.fmt(r.value, r.unit, r.qualifier), "tip": charts.tip(r),
                                  "anchor": anchor(r.geo, r.year, r.metric)} for r in national.itertuples()}
    metrics = [m.metric for m in catalog.metrics() if m.scope == "national"]
    return {"chart": charts.national_chart(figs, national), "columns": ["metric", *map(str, years)],
            "table": [{"metric": m, "cells": [cells.get((m, y)) for y in years]} for m in metrics],
            "evidence": _evidence(national.sort_values(["metric", "year"]), by="metric")}


def _what(r: Any) -> str:
    """The rejected value's place, year and metric, or the whole file."""
    parts = [v for v in (r.geo, r.year, r.metric) if not pd.isna(v)]
    return " ".join(str(int(v)) if isinstance(v, float) else str(v) for v in parts) or "whole file"


def _validation(rej: pd.DataFrame, explained: set[explain.Key]) -> Row:
    def key(r: Any) -> explain.Key | None:
        if pd.isna(r.geo) or pd.isna(r.year) or pd.isna(r.metric):  # a whole file's rejection
            return None
        k = (r.geo, int(r.year), r.metric)
        return k if k in explained else None

    return {"counts": list(rej["check"].value_counts().items()),
            "rows": [{"file": r.source_file, "check": r.check, "what": _what(r), "reason": r.reason,
                      "anchor": anchor(*k) if (k := key(r)) else None,
                      "evidence": r.evidence if isinstance(r.evidence, str) else None} for r in rej.itertuples()]}


def build(db: Path) -> tuple[str, int, int]:
    """The page's HTML, the number of charts and of rejections shown."""
    data, explanations = _read(db)
    facts = data["facts"]
    figs = charts.Figures(sorted(facts["year"].unique()), sorted(facts["geo"].unique()))
    # Charts are numbered as they are drawn (their SVG ids): state metrics, breakdown, national.
    page = templates().get_template("report.html.j2").render(
        header=_header(db, data), caveats=catalog.caveats(), state=_state_metrics(figs, facts),
        breakdown=_breakdown(figs, data["breakdown"], set(explanations)),
        national=_national(figs, facts[facts["geo"] == catalog.NATION]),
        validation=_validation(data["rejections"], set(explanations)), explained=_explained(explanations),
        sources_shown=SOURCES_SHOWN)
    return page, figs.count, len(data["rejections"])


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
    page, charts, rejections = build(db)
    with outputs.staged(out) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(page)
    return ReportSummary(out=out, charts=charts, rejections=rejections, bytes=out.stat().st_size)
