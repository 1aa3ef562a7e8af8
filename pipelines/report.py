"""`ncmec report`: one self-contained HTML page of charts and the validation summary.

Charts are matplotlib figures inlined as SVG: no script, font or stylesheet is fetched, so the
page renders with no network. Each bar and point carries its evidence (the sentence or table
row, and the file) as an SVG `<title>` tooltip, and a table under each chart repeats it.
The charts and all data are prepared here; the page's markup is `templates/report.html.j2`.
"""

from __future__ import annotations

import html
import io
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from markupsafe import Markup

from . import catalog, load
from .dictionary import CAVEATS, templates

# Okabe-Ito (colour-blind safe) for years; another palette for places, in lines only.
YEAR_COLORS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")
PLACE_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#7f7f7f", "#bcbd22")
WIDTH = 10  # inches: 960 px at 96 dpi, the page's text width
PART_COLORS = {"missing_from_social_services": "#0072b2", "missing_other": "#e69f00",
               "missing_reported_by_hhs_orr": "#009e73"}
QUALIFIER_MARK = {"exact": "", "approximate": "≈", "at_least": "≥", "at_most": "≤"}
BREAKDOWN_NUMBERS = ("total", "missing_from_social_services", "missing_other", "missing_reported_by_hhs_orr",
                     "parts_sum")
Row = dict[str, Any]  # what one table row, section or chart of the template reads

FACTS_SQL = """
select f.geo, coalesce(g.name, f.geo) as name, f.year, f.metric, f.value, f.qualifier, f.unit,
       f.source_file, f.n_sources, o.evidence
from facts f
left join geos g on g.geo = f.geo
left join observations o
  on o.source_file = f.source_file and o.geo = f.geo and o.year = f.year
 and o.metric = f.metric and o.value = f.value
qualify row_number() over (partition by f.geo, f.year, f.metric order by o.char_start) = 1
order by f.metric, f.geo, f.year
"""
BREAKDOWN_SQL = """
select b.*, o.metric, o.evidence
from missing_breakdown b
join observations o on o.source_file = b.source_file and o.geo = b.geo and o.year = b.year
where o.metric in ('missing_child_cases', 'missing_from_social_services', 'missing_other',
                   'missing_reported_by_hhs_orr')
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


def _fmt(value: float, unit: str = "", qualifier: str = "exact") -> str:
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"
    return QUALIFIER_MARK.get(qualifier, "") + text + ("%" if unit == "percent" else "")


def _short(value: float, unit: str = "", qualifier: str = "exact") -> str:
    if abs(value) >= 1_000_000:
        return QUALIFIER_MARK.get(qualifier, "") + f"{value / 1_000_000:,.1f}M".replace(".0M", "M")
    return _fmt(value, unit, qualifier)


def _said(r, otherwise: str = "") -> str:
    """A fact's evidence; a fact with no observation of its value has NaN (truthy), not None."""
    return r.evidence if isinstance(r.evidence, str) else otherwise


def _tip(r) -> str:
    return (f"{r.name} {r.year}: {_fmt(r.value, r.unit, r.qualifier)} ({r.qualifier}) — "
            f"{r.source_file}: “{_said(r, 'no evidence stored')}”")


class _Figures:
    """Matplotlib figures to inline SVG, with unique ids and `<title>` tooltips.

    Colours are fixed per year and per place across the whole page, so 2023 or Wisconsin look
    the same in every chart.
    """

    def __init__(self, years: list[int], geos: list[str]) -> None:
        import matplotlib

        matplotlib.use("Agg")  # no display, ever
        import matplotlib.pyplot as plt

        self.plt, self.count = plt, 0
        self.year_color = {y: YEAR_COLORS[i % len(YEAR_COLORS)] for i, y in enumerate(sorted(years))}
        self.place_color = {g: PLACE_COLORS[i % len(PLACE_COLORS)] for i, g in enumerate(sorted(geos))}
        matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "ncmec", "font.size": 9,
                                    "axes.spines.top": False, "axes.spines.right": False})

    def new(self, height: float, ncols: int = 1, nrows: int = 1):
        return self.plt.subplots(nrows, ncols, figsize=(WIDTH, height), layout="constrained", squeeze=nrows * ncols == 1)

    def svg(self, fig, tips: dict[str, str], label: str) -> Markup:
        self.count += 1
        prefix = f"c{self.count}"
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
        self.plt.close(fig)
        svg = buf.getvalue()
        svg = svg[svg.index("<svg"):]  # no XML declaration or DOCTYPE (it names a DTD by URL)
        svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)
        svg = re.sub(r'\s+xmlns(?::\w+)?="[^"]*"', "", svg)  # inline SVG needs no namespaces
        # Several figures share one page: keep each figure's ids (clip paths, markers) apart.
        svg = re.sub(r'(id="|href="#|url\(#)([^")]+)', lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)
        for gid, text in tips.items():
            svg = svg.replace(f'<g id="{prefix}-{gid}">', f'<g id="{prefix}-{gid}"><title>{html.escape(text)}</title>', 1)
        return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(label)}" ', 1))


def _legend(ax, title: str | None = None) -> None:
    ax.legend(title=title, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)


def _across_places(figs: _Figures, rows: pd.DataFrame, title: str) -> Markup:
    """Horizontal bars: one group per place (top to bottom by name), one bar per year."""
    places = sorted(rows["name"].unique(), reverse=True)
    years = sorted(rows["year"].unique())
    height = 0.8 / len(years)
    fig, ax = figs.new(0.7 + 0.22 * len(places) * (1 + 0.6 * (len(years) - 1)))
    tips, top = {}, rows["value"].max()
    for k, year in enumerate(reversed(years)):  # newest on top within a group
        for n, r in enumerate(rows[rows["year"] == year].itertuples()):
            y = places.index(r.name) + 0.4 - height * (k + 0.5)
            bar = ax.barh(y, r.value, height=height * 0.9, color=figs.year_color[year],
                          label=str(year) if n == 0 else None)[0]
            bar.set_gid(gid := f"b{r.Index}")
            tips[gid] = _tip(r)
            ax.text(r.value + top * 0.01, y, _short(r.value, r.unit, r.qualifier), va="center", fontsize=8)
    ax.set_yticks(range(len(places)), places)
    ax.set_ylim(-0.5, len(places) - 0.5)
    ax.set_xlim(0, top * 1.12 or 1)
    ax.xaxis.set_major_formatter(lambda v, _: _short(v))
    ax.set_title(title, loc="left")
    _legend(ax, "year")
    return figs.svg(fig, tips, title)


def _trend(figs: _Figures, rows: pd.DataFrame, title: str) -> Markup | None:
    """Lines across years, for places with two years or more; None when no place has."""
    rows = rows[rows.groupby("geo")["year"].transform("nunique") > 1]
    if rows.empty:
        return None
    fig, ax = figs.new(3.0)
    tips = {}
    for geo, series in rows.sort_values("year").groupby("geo", sort=True):
        color = figs.place_color[geo]
        ax.plot(series["year"], series["value"], color=color, linewidth=1.5, label=series["name"].iloc[0])
        for r in series.itertuples():
            point = ax.plot([r.year], [r.value], "o", color=color, markersize=6)[0]
            point.set_gid(gid := f"p{r.Index}")
            tips[gid] = _tip(r)
            ax.annotate(_short(r.value, r.unit, r.qualifier), (r.year, r.value), textcoords="offset points",
                        xytext=(0, 6), ha="center", fontsize=8, color=color)
    years = sorted(rows["year"].unique())
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_xlim(years[0] - 0.25, years[-1] + 0.25)
    ax.set_ylim(0, rows["value"].max() * 1.18)
    ax.yaxis.set_major_formatter(lambda v, _: _short(v))
    ax.set_title(title, loc="left")
    _legend(ax)
    return figs.svg(fig, tips, title)


def _breakdown_chart(figs: _Figures, sheets: pd.DataFrame, evidence: dict) -> Markup:
    """Stacked bars of the three rows of each sheet's table, with the stated total as a tick."""
    fig, ax = figs.new(0.8 + 0.3 * len(sheets))
    tips, top = {}, float(pd.concat([sheets["total"], sheets["parts_sum"]]).max())
    labels = []
    for i, s in enumerate(sheets.itertuples()):
        y, left = len(sheets) - 1 - i, 0.0
        labels.append((y, f"{s.geo} {s.year}"))
        for part, color in PART_COLORS.items():
            value = getattr(s, part)
            if pd.isna(value):
                continue
            bar = ax.barh(y, value, left=left, height=0.6, color=color, label=part if i == 0 else None)[0]
            bar.set_gid(gid := f"s{i}{part}")
            tips[gid] = (f"{s.geo} {s.year} {part}: {_fmt(value)} — {s.source_file}: "
                         f"“{evidence.get((s.source_file, s.geo, part), '')}”")
            left += value
        if not pd.isna(s.total):
            tick = ax.plot([s.total, s.total], [y - 0.42, y + 0.42], color="black", linewidth=2.5,
                           label="the sheet's total" if i == 0 else None)[0]
            tick.set_gid(gid := f"t{i}")
            tips[gid] = (f"{s.geo} {s.year} total: {_fmt(s.total)} — {s.source_file}: "
                         f"“{evidence.get((s.source_file, s.geo, 'missing_child_cases'), '')}”")
            mismatch = "" if s.agrees is not False else "  (do not agree)"
            ax.text(max(s.total, left) + top * 0.01, y, f"{_fmt(left)} of {_fmt(s.total)}{mismatch}",
                    va="center", fontsize=8, color="#b00020" if mismatch else "black")
    ax.set_yticks([y for y, _ in labels], [t for _, t in labels])
    ax.set_ylim(-0.5, len(sheets) - 0.5)
    ax.set_xlim(0, top * 1.3)
    ax.set_title("Rows of each sheet's missing-children table, against its total", loc="left")
    _legend(ax)
    return figs.svg(fig, tips, "missing-children breakdown")


def _national_chart(figs: _Figures, national: pd.DataFrame) -> Markup:
    """Small multiples: one panel per national metric, one bar per year."""
    metrics = [m for m in catalog.metrics() if m.scope == "national" and m.metric in set(national["metric"])]
    cols = 3
    fig, axes = figs.new(2.2 * -(-len(metrics) // cols), cols, -(-len(metrics) // cols))
    tips = {}
    for ax, m in zip(axes.flat, metrics):
        series = national[national["metric"] == m.metric].sort_values("year")
        for k, r in enumerate(series.itertuples()):
            bar = ax.bar(k, r.value, color=figs.year_color[r.year], edgecolor="white",
                         hatch=None if r.qualifier == "exact" else "///")[0]
            bar.set_gid(gid := f"n{r.Index}")
            tips[gid] = _tip(r)
            ax.text(k, r.value, _short(r.value, r.unit, r.qualifier), ha="center", va="bottom", fontsize=8)
        ax.set_xticks(range(len(series)), [str(y) for y in series["year"]])
        ax.set_ylim(0, series["value"].max() * 1.22)
        ax.yaxis.set_major_formatter(lambda v, _: _short(v))
        ax.set_title(m.metric, fontsize=8.5, loc="left")
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    return figs.svg(fig, tips, "national figures by year")


def _read(db: Path) -> dict[str, pd.DataFrame]:
    con = load.connect(db, read_only=True)
    try:
        return {
            "facts": con.sql(FACTS_SQL).df(),
            "breakdown": con.sql(BREAKDOWN_SQL).df(),
            "rejections": con.sql('select source_file, geo, year, metric, "check", reason, evidence '
                                  'from rejections order by source_file, "check", metric nulls first').df(),
            "runs": con.sql("select load_id from load_runs where status = 'completed' "
                            "order by finished_at desc limit 1").df(),
            "documents": con.sql("select status, count(*) as n from documents group by status order by status").df(),
        }
    except duckdb.Error as exc:
        raise ReportError(f"cannot read {db}: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()


def _header(db: Path, data: dict[str, pd.DataFrame]) -> Row:
    docs = ", ".join(f"{n} {s}" for s, n in zip(data["documents"]["status"], data["documents"]["n"]))
    return {"db": str(db), "load_id": data["runs"]["load_id"].iloc[0] if len(data["runs"]) else "none",
            "made": f"{datetime.now(UTC):%Y-%m-%d %H:%M}", "documents": docs or "none",
            "facts": len(data["facts"]), "rejections": len(data["rejections"])}


def _evidence(rows: pd.DataFrame, by: str = "place") -> list[Row]:
    """Every value with its file and evidence; `by` is the first column: the place or the metric."""
    return [{"label": r.name if by == "place" else r.metric, "year": r.year, "value": _fmt(r.value, r.unit),
             "qualifier": r.qualifier, "sources": r.n_sources, "file": r.source_file, "evidence": _said(r)}
            for r in rows.itertuples()]


def _state_metrics(figs: _Figures, facts: pd.DataFrame) -> list[Row]:
    sections = []
    for m in (m for m in catalog.metrics() if m.scope == "state"):
        rows = facts[(facts["metric"] == m.metric) & (facts["geo"] != catalog.NATION)]
        section: Row = {"metric": m, "by_place": None, "trend": None, "evidence": []}
        if not rows.empty:
            section |= {"by_place": _across_places(figs, rows, f"{m.metric} by place"),
                        "trend": _trend(figs, rows, f"{m.metric} across years"), "evidence": _evidence(rows)}
        sections.append(section)
    return sections


def _breakdown(figs: _Figures, bd: pd.DataFrame) -> Row | None:
    if bd.empty:
        return None
    sheets = bd.drop(columns=["metric", "evidence"]).drop_duplicates(["source_file", "geo", "year"])
    evidence = {(r.source_file, r.geo, r.metric): r.evidence for r in bd.itertuples()}
    return {
        "chart": _breakdown_chart(figs, sheets, evidence),
        "sheets": [{"geo": s.geo, "year": s.year, "file": s.source_file,
                    "numbers": ["" if pd.isna(v) else _fmt(v) for v in (getattr(s, n) for n in BREAKDOWN_NUMBERS)],
                    "agrees": None if pd.isna(s.agrees) else bool(s.agrees)} for s in sheets.itertuples()],
        "stated": bd[["geo", "year", "metric", "source_file", "evidence"]].to_dict("records"),
    }


def _national(figs: _Figures, national: pd.DataFrame) -> Row | None:
    if national.empty:
        return None
    years = sorted(national["year"].unique())
    cells = {(r.metric, r.year): {"value": _fmt(r.value, r.unit, r.qualifier), "tip": _tip(r)}
             for r in national.itertuples()}
    metrics = [m.metric for m in catalog.metrics() if m.scope == "national"]
    return {"chart": _national_chart(figs, national), "columns": ["metric", *map(str, years)],
            "table": [{"metric": m, "cells": [cells.get((m, y)) for y in years]} for m in metrics],
            "evidence": _evidence(national.sort_values(["metric", "year"]), by="metric")}


def _what(r) -> str:
    """The rejected value's place, year and metric, or the whole file."""
    parts = [v for v in (r.geo, r.year, r.metric) if not pd.isna(v)]
    return " ".join(str(int(v)) if isinstance(v, float) else str(v) for v in parts) or "whole file"


def _validation(rej: pd.DataFrame) -> Row:
    return {"counts": list(rej["check"].value_counts().items()),
            "rows": [{"file": r.source_file, "check": r.check, "what": _what(r), "reason": r.reason,
                      "evidence": r.evidence if isinstance(r.evidence, str) else None} for r in rej.itertuples()]}


def build(db: Path) -> tuple[str, int, int]:
    """The page's HTML, the number of charts and of rejections shown."""
    data = _read(db)
    facts = data["facts"]
    figs = _Figures(sorted(facts["year"].unique()), sorted(facts["geo"].unique()))
    # Charts are numbered as they are drawn (their SVG ids): state metrics, breakdown, national.
    page = templates().get_template("report.html.j2").render(
        header=_header(db, data), caveats=CAVEATS, state=_state_metrics(figs, facts),
        breakdown=_breakdown(figs, data["breakdown"]), national=_national(figs, facts[facts["geo"] == catalog.NATION]),
        validation=_validation(data["rejections"]))
    return page, figs.count, len(data["rejections"])


def write(db: Path, out: Path) -> ReportSummary:
    """Build the page and put it at `out` whole (written beside it, then renamed)."""
    out = Path(out)
    if out.is_dir():
        raise ReportError(f"{out} is a folder; --out is the HTML file to write")
    if not out.absolute().parent.is_dir():
        raise ReportError(f"the folder {out.absolute().parent} does not exist")
    page, charts, rejections = build(db)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.absolute().parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(page)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return ReportSummary(out=out, charts=charts, rejections=rejections, bytes=out.stat().st_size)
