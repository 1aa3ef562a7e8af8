"""The geometry of `ncmec report`'s charts; their markup is in templates/report.html.j2.

Charts are inline SVG (small multiples, national columns) or HTML rows with bars (rankings,
the breakdown), so the page fetches nothing and runs no script. An SVG chart holds no text that
a narrow screen would shrink past reading, except the axis labels of the national charts, which
are drawn large enough to stay readable at half size. Colours are Okabe and Ito's palette, safe
for colour-blind readers; no chart uses a colour twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pipelines.core import catalog

# Okabe & Ito (2008): blue, orange, bluish green, vermilion, sky blue, reddish purple, yellow.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#d55e00", "#56b4e9", "#cc79a7", "#f0e442")
ONE_SERIES = PALETTE[0]

fmt = catalog.fmt


def short(value: float, unit: str = "", qualifier: str = "exact") -> str:
    """An axis label or a figure in little room: 20.5M for millions, else the full figure."""
    if abs(value) >= 1_000_000:
        text = f"{value / 1_000_000:,.1f}".removesuffix(".0")
        return catalog.QUALIFIER_MARK.get(qualifier, "") + text + "M"
    return fmt(value, unit, qualifier)


def nice_top(top: float) -> tuple[float, float]:
    """An axis end at or above top, and its step, from 1, 2, 2.5 or 5 times a power of ten."""
    if top <= 0:
        return 1.0, 1.0
    power = 10 ** math.floor(math.log10(top / 4))
    step = next(power * m for m in (1, 2, 2.5, 5, 10) if power * m * 4 >= top)
    return step * math.ceil(top / step), step


def width(value: float, top: float) -> float:
    """A bar's length in per cent of the longest possible."""
    return 0.0 if top <= 0 else round(100 * value / top, 2)


@dataclass(frozen=True)
class Spark:
    """A place's series over the page's years: a line through consecutive years (a gap where a
    year has no fact) and a dot per fact."""

    lines: tuple[str, ...]  # SVG polyline points
    dots: tuple[tuple[float, float], ...]


SPARK_W, SPARK_H, SPARK_PAD = 160.0, 44.0, 4.0


def _tidy(v: float) -> float:
    """A coordinate to a tenth of a unit (a sparkline is 160 units wide): 4.0 prints as 4."""
    return round(v, 1) + 0.0


def spark(years: Sequence[int], series: dict[int, float]) -> Spark:
    """Own scale per place, from zero to its highest value, so a line's slope is never made
    steeper than the figures are (a place at 100 and 101 is flat, not a cliff)."""
    top = max(series.values(), default=0) or 1.0
    first, last = years[0], years[-1]
    span = max(last - first, 1)

    def at(year: int, value: float) -> tuple[float, float]:
        x = SPARK_PAD + (SPARK_W - 2 * SPARK_PAD) * (year - first) / span
        y = SPARK_H - SPARK_PAD - (SPARK_H - 2 * SPARK_PAD) * value / top
        return _tidy(x), _tidy(y)

    dots = tuple(at(y, series[y]) for y in years if y in series)
    runs: list[list[tuple[float, float]]] = []
    previous = None
    for year in years:
        if year not in series:
            previous = None
            continue
        if previous is None:
            runs.append([])
        runs[-1].append(at(year, series[year]))
        previous = year
    lines = tuple(" ".join(f"{x:g},{y:g}" for x, y in run) for run in runs if len(run) > 1)
    return Spark(lines, dots)


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    height: float
    year: int
    label: bool  # whether the year is printed under it


@dataclass(frozen=True)
class Columns:
    """One national metric by year: columns, the y axis's ticks, and the plot's frame."""

    columns: tuple[Column, ...]
    ticks: tuple[tuple[float, str], ...]  # (y, label)
    bar: float  # a column's width
    left: float
    right: float
    bottom: float


COL_W, COL_H, COL_LEFT, COL_RIGHT, COL_TOP, COL_BOTTOM = 320.0, 170.0, 58.0, 8.0, 10.0, 22.0


def columns(series: dict[int, float], unit: str = "") -> Columns:
    """Columns for each year of the series, in order; every other year labelled when many."""
    years = sorted(series)
    top, step = nice_top(max(series.values(), default=0))
    inner_w, inner_h = COL_W - COL_LEFT - COL_RIGHT, COL_H - COL_TOP - COL_BOTTOM
    # Room for five columns at least, the few there are centred: one year is not a slab.
    slot = inner_w / max(len(years), 5)
    start = COL_LEFT + (inner_w - slot * len(years)) / 2
    every = 1 if len(years) <= 6 else 2
    cols = []
    for i, year in enumerate(years):
        h = inner_h * series[year] / top
        cols.append(Column(round(start + i * slot + slot * 0.15, 1), round(COL_TOP + inner_h - h, 1),
                           round(h, 1), year, (len(years) - 1 - i) % every == 0))
    ticks = tuple((round(COL_TOP + inner_h - inner_h * k * step / top, 1), short(k * step, unit))
                  for k in range(int(round(top / step)) + 1))
    return Columns(tuple(cols), ticks, round(slot * 0.7, 1), COL_LEFT, COL_W - COL_RIGHT, COL_TOP + inner_h)
