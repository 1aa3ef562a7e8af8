"""Stage 2e: an infographic's boxes set in a grid, as layout-mode extractors print it.

A page of boxes, three to a row, each a figure over its caption, comes out of pypdf's layout
mode and Ghostscript's txtwrite as lines: the row's figures on one line, far apart, and under
them its captions, side by side, each wrapped over a line or two:

                 1,448                        21                        44
    CyberTipline reports made available   submissions of child sexual   cases of missing
          enforcement in New Jersey       material reviewed from ...    from New Jersey

Read by where each piece is set on its line: a line of figures alone (cells two spaces apart or
more) opens a row, and each cell of the lines under it, up to the next such line, belongs to the
figure it stands under (the nearest by its middle). The cells of a figure, in line order, are its
caption, and it is the catalog's `caption` of a metric (or a table row's label) or nothing. A
line of one figure opens a row only under a row of several: a lone number is a table's cell.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from pipelines.core import catalog
from pipelines.extract.captions import FIGURE, Captioned, Captions

_CELL = re.compile(r"\S+(?: \S+)*")  # words one space apart: two spaces or more end a cell
_LINE = re.compile(r"[^\n]*")
_CAPTION_LINES = 6  # lines of captions under a row of figures, blank lines aside


class _Cell(NamedTuple):
    start: int  # in the text
    end: int
    column: float  # its middle, in characters from its line's start
    text: str


def _lines(text: str) -> list[list[_Cell]]:
    lines = []
    for line in _LINE.finditer(text):
        if line.group().strip():
            lines.append([_Cell(m.start() + line.start(), m.end() + line.start(), (m.start() + m.end()) / 2, m.group())
                          for m in _CELL.finditer(line.group())])
    return lines


def _rows(text: str) -> list[tuple[list[_Cell], list[list[_Cell]]]]:
    """Each row of the grid: its figures, and for each figure the cells set under it."""
    rows: list[tuple[list[_Cell], list[list[_Cell]]]] = []
    under = 0
    for cells in _lines(text):
        figures = all(FIGURE.fullmatch(c.text) for c in cells)
        if figures and (len(cells) > 1 or (rows and under)):
            rows.append((cells, [[] for _ in cells]))
            under = _CAPTION_LINES
        elif rows and under:
            figures_of_row, captions = rows[-1]
            for cell in cells:
                nearest = min(range(len(figures_of_row)), key=lambda i: abs(figures_of_row[i].column - cell.column))
                captions[nearest].append(cell)
            under -= 1
    return rows


def _metric(caption: str, rows: bool) -> tuple[catalog.Metric, re.Match[str]] | None:
    for metric in catalog.metrics():
        pattern = metric.caption or (metric.label if rows else None)
        if pattern is not None and (m := pattern.match(caption)):
            return metric, m
    return None


def read(text: str, missing: list[catalog.Metric], rows: bool) -> Captions:
    """The grid's captioned figures of the metrics in `missing` (with `rows`, of the table's rows
    too). Read in `plain`, whose lines the grid needs; none where the text sets no grid."""
    wanted = {m.metric for m in missing}
    out = Captions()
    for figures, captions in _rows(text):
        for figure, cells in zip(figures, captions, strict=True):
            found = _metric(" ".join(c.text for c in cells), rows) if cells else None
            if found is None or found[0].metric not in wanted:
                continue
            metric, m = found
            out.figures.append(Captioned(metric.metric, figure.text, figure.start, figure.start, cells[-1].end,
                                         m.groupdict().get("place"), metric.label is not None))
    if not any(not f.row for f in out.figures):
        return Captions()  # rows alone are a table, and the table reader's
    twice = {f.metric for f in out.figures if sum(g.metric == f.metric for g in out.figures) > 1}
    out.figures = [f for f in out.figures if f.metric not in twice]
    return out
