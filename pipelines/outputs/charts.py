"""The charts of `ncmec report`: matplotlib figures inlined as SVG, each bar and point with its
evidence (the sentence or table row, and the file) as an SVG `<title>` tooltip. No script, font
or stylesheet is fetched, so the page renders with no network."""

from __future__ import annotations

import html
import io
import re
from typing import TYPE_CHECKING, Any

import pandas as pd
from markupsafe import Markup

from pipelines.core import catalog

if TYPE_CHECKING:  # matplotlib is imported when a report is drawn, not with this module
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Okabe-Ito (colour-blind safe) for years; another palette for places, in lines only.
YEAR_COLORS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")


PLACE_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#7f7f7f", "#bcbd22")


WIDTH = 10  # inches: 960 px at 96 dpi, the page's text width


PART_COLORS = {"missing_from_social_services": "#0072b2", "missing_other": "#e69f00",
               "missing_reported_by_hhs_orr": "#009e73"}


QUALIFIER_MARK, fmt = catalog.QUALIFIER_MARK, catalog.fmt


def short(value: float, unit: str = "", qualifier: str = "exact") -> str:
    if abs(value) >= 1_000_000:
        return QUALIFIER_MARK.get(qualifier, "") + f"{value / 1_000_000:,.1f}M".replace(".0M", "M")
    return fmt(value, unit, qualifier)


def said(r: Any, otherwise: str = "") -> str:
    """A fact's evidence; a fact with no observation of its value has NaN (truthy), not None."""
    return r.evidence if isinstance(r.evidence, str) else otherwise


def tip(r: Any) -> str:
    return (f"{r.name} {r.year}: {fmt(r.value, r.unit, r.qualifier)} ({r.qualifier}) — "
            f"{r.source_file}: “{said(r, 'no evidence stored')}”")


class Figures:
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

    def new(self, height: float, ncols: int = 1, nrows: int = 1) -> tuple[Figure, Any]:
        return self.plt.subplots(nrows, ncols, figsize=(WIDTH, height), layout="constrained",
                                 squeeze=nrows * ncols == 1)

    def svg(self, fig: Figure, tips: dict[str, str], label: str) -> Markup:
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
            svg = svg.replace(f'<g id="{prefix}-{gid}">',
                              f'<g id="{prefix}-{gid}"><title>{html.escape(text)}</title>', 1)
        return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(label)}" ', 1))


def _legend(ax: Axes, title: str | None = None) -> None:
    ax.legend(title=title, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)


def across_places(figs: Figures, rows: pd.DataFrame, title: str) -> Markup:
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
            tips[gid] = tip(r)
            ax.text(r.value + top * 0.01, y, short(r.value, r.unit, r.qualifier), va="center", fontsize=8)
    ax.set_yticks(range(len(places)), places)
    ax.set_ylim(-0.5, len(places) - 0.5)
    ax.set_xlim(0, top * 1.12 or 1)
    ax.xaxis.set_major_formatter(lambda v, _: short(v))
    ax.set_title(title, loc="left")
    _legend(ax, "year")
    return figs.svg(fig, tips, title)


def trend(figs: Figures, rows: pd.DataFrame, title: str) -> Markup | None:
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
            tips[gid] = tip(r)
            ax.annotate(short(r.value, r.unit, r.qualifier), (r.year, r.value), textcoords="offset points",
                        xytext=(0, 6), ha="center", fontsize=8, color=color)
    years = sorted(rows["year"].unique())
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_xlim(years[0] - 0.25, years[-1] + 0.25)
    ax.set_ylim(0, rows["value"].max() * 1.18)
    ax.yaxis.set_major_formatter(lambda v, _: short(v))
    ax.set_title(title, loc="left")
    _legend(ax)
    return figs.svg(fig, tips, title)


def breakdown_chart(figs: Figures, sheets: pd.DataFrame, evidence: dict) -> Markup:
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
            tips[gid] = (f"{s.geo} {s.year} {part}: {fmt(value)} — {s.source_file}: "
                         f"“{evidence.get((s.source_file, s.geo, part), '')}”")
            left += value
        if not pd.isna(s.total):
            tick = ax.plot([s.total, s.total], [y - 0.42, y + 0.42], color="black", linewidth=2.5,
                           label="the sheet's total" if i == 0 else None)[0]
            tick.set_gid(gid := f"t{i}")
            tips[gid] = (f"{s.geo} {s.year} total: {fmt(s.total)} — {s.source_file}: "
                         f"“{evidence.get((s.source_file, s.geo, 'missing_child_cases'), '')}”")
            mismatch = "" if s.agrees is not False else "  (do not agree)"
            ax.text(max(s.total, left) + top * 0.01, y, f"{fmt(left)} of {fmt(s.total)}{mismatch}",
                    va="center", fontsize=8, color="#b00020" if mismatch else "black")
    ax.set_yticks([y for y, _ in labels], [t for _, t in labels])
    ax.set_ylim(-0.5, len(sheets) - 0.5)
    ax.set_xlim(0, top * 1.3)
    ax.set_title("Rows of each sheet's missing-children table, against its total", loc="left")
    _legend(ax)
    return figs.svg(fig, tips, "missing-children breakdown")


def national_chart(figs: Figures, national: pd.DataFrame) -> Markup:
    """Small multiples: one panel per national metric, one bar per year."""
    metrics = [m for m in catalog.metrics() if m.scope == "national" and m.metric in set(national["metric"])]
    cols = 3
    fig, axes = figs.new(2.2 * -(-len(metrics) // cols), cols, -(-len(metrics) // cols))
    tips = {}
    for ax, m in zip(axes.flat, metrics, strict=False):  # the grid's spare cells stay empty
        series = national[national["metric"] == m.metric].sort_values("year")
        for k, r in enumerate(series.itertuples()):
            bar = ax.bar(k, r.value, color=figs.year_color[r.year], edgecolor="white",
                         hatch=None if r.qualifier == "exact" else "///")[0]
            bar.set_gid(gid := f"n{r.Index}")
            tips[gid] = tip(r)
            ax.text(k, r.value, short(r.value, r.unit, r.qualifier), ha="center", va="bottom", fontsize=8)
        ax.set_xticks(range(len(series)), [str(y) for y in series["year"]])
        ax.set_ylim(0, series["value"].max() * 1.22)
        ax.yaxis.set_major_formatter(lambda v, _: short(v))
        ax.set_title(m.metric, fontsize=8.5, loc="left")
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    return figs.svg(fig, tips, "national figures by year")
