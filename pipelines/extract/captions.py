"""Stage 2d: figures set as an infographic sets them, large in a box with a caption under them.

Some sheets state a state's figures with no sentence: "1,448" in a box, and under it
"CyberTipline reports made available to law enforcement in Delaware" (the catalog's `caption`).
Extractors print such a page in one of two orders: each figure and then its caption
(pdftotext -raw, PyMuPDF's blocks and words), or a row of boxes' figures and then their
captions (pdftotext, pdfminer). Both read one way: each run of k captions, nothing but white
space between them, must follow exactly k figures, nothing but white space between those, and
they pair in order. A run of captions after no figure, or after another number of figures,
pairs nothing: each of its metrics is a named rejection, never a guess.

Captions are looked for only for the metrics whose sentence the text does not hold. On a sheet
whose figures are captioned, the missing-children table's row labels are captions too, when each
follows its figure so ("31" over "Children Missing From Social Services"); else the table is the
table reader's (pipelines/extract/breakdown.py). The "<Place> Data <year>" title an infographic
sets above its figures is no figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from pipelines.core import catalog

FIGURE = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+|0|[1-9]\d*")  # a figure as a box prints it (grid.py too)
_NUMBERISH = re.compile(r"\d[\d,.]*")  # a number, well-formed or not
_TOKEN = re.compile(r"\S+")
_LOOK_BACK = 200  # characters before a run of captions in which its figures are
_CAPTION_TAIL_WORDS = 8
_SENTENCE_END = re.compile(r"[.!?:;]")
_TITLE_WORD = "data"  # "New Jersey Data 2022": the word before the year of an infographic's title


class Captioned(NamedTuple):
    metric: str
    numeral: str
    at: int  # where the figure starts in the text read
    start: int  # the evidence: from the figure to the end of its caption
    end: int
    place: str | None  # as the caption prints it
    row: bool  # a row of the missing-children table


class Unpaired(NamedTuple):
    metric: str
    start: int
    end: int
    reason: str
    row: bool


@dataclass
class Captions:
    figures: list[Captioned] = field(default_factory=list)
    unpaired: list[Unpaired] = field(default_factory=list)

    @property
    def rows(self) -> bool:
        """Whether the table's rows were read here (so the table reader must not read them again)."""
        return any(f.row for f in self.figures) or any(u.row for u in self.unpaired)


class _Caption(NamedTuple):
    start: int
    end: int
    metric: str
    place: str | None
    row: bool


def _captions(text: str, rows: bool) -> list[_Caption]:
    """Every caption (and, with `rows`, every row label) in text order, none inside another: of
    the metrics a sentence states too, for the order of the figures they are set with."""
    found = []
    for metric in catalog.metrics():
        pattern = metric.caption or (metric.label if rows else None)
        if pattern is not None:
            found += [_Caption(m.start(), m.end(), metric.metric, m.groupdict().get("place"), metric.label is not None)
                      for m in pattern.finditer(text)]
    found.sort()
    out: list[_Caption] = []
    for c in found:
        if not out or c.start >= out[-1].end:
            out.append(c)
    return out


def _runs(text: str, captions: list[_Caption]) -> list[list[_Caption]]:
    """Captions with nothing but white space between them."""
    runs: list[list[_Caption]] = []
    for c in captions:
        if runs and not text[runs[-1][-1].end : c.start].strip():
            runs[-1].append(c)
        else:
            runs.append([c])
    return runs


def _figures_before(text: str, start: int, year: int, chained: int) -> list[re.Match[str]] | None:
    """The numbers right before `start`, nothing but white space between them, in text order:
    when they follow the infographic's title ("<Place> Data <year>") or the end of the captions
    before (at `chained`). Else None: a figure after other words is a sentence's (whose own
    pattern did not match), not a box's."""
    tokens = list(_TOKEN.finditer(text, max(0, start - _LOOK_BACK), start))
    figures: list[re.Match[str]] = []
    for token in reversed(tokens):
        if _NUMBERISH.fullmatch(token.group()):
            figures.append(token)
            continue
        if 0 <= chained <= token.end() and _caption_tail(text[chained : token.end()]):
            return figures[::-1]
        if token.group().lower() == _TITLE_WORD and figures and figures[-1].group() == str(year):
            return figures[-2::-1]
        return None
    return figures[::-1] if start <= _LOOK_BACK else None  # the text starts with the figures


def _caption_tail(words: str) -> bool:
    """The rest of a caption the catalog's matched the start of ("... social service agencies"
    and then "on child sex trafficking cases"): a few words, no sentence's end among them."""
    return len(words.split()) <= _CAPTION_TAIL_WORDS and not _SENTENCE_END.search(words)


def _pair(text: str, run: list[_Caption], year: int, chained: int) -> tuple[list[Captioned], list[Unpaired]] | None:
    """The run's figures paired with its captions, or why they cannot be; None: not captions."""
    figures = _figures_before(text, run[0].start, year, chained)
    if figures is None:
        return None
    if len(figures) != len(run):
        names = ", ".join(f"'{' '.join(text[c.start:c.end].split())}'" for c in run)
        many = len(run) > 1
        reason = (f"the caption{'s' if many else ''} {names} {'follow' if many else 'follows'} "
                  f"{len(figures) or 'no'} figure{'' if len(figures) == 1 else 's'}, so no figure can be paired "
                  f"with {'them' if many else 'it'}")
        start = figures[0].start() if figures else run[0].start
        return [], [Unpaired(c.metric, start, run[-1].end, reason, c.row) for c in run]
    paired, unpaired = [], []
    for figure, c in zip(figures, run, strict=True):
        if FIGURE.fullmatch(figure.group()):
            paired.append(Captioned(c.metric, figure.group(), figure.start(), figure.start(), c.end, c.place, c.row))
        else:
            why = f"the figure '{figure.group()}' over its caption is not a well-formed number"
            unpaired.append(Unpaired(c.metric, figure.start(), c.end, why, c.row))
    return paired, unpaired


def read(text: str, missing: list[catalog.Metric], year: int) -> Captions:
    """The captioned figures of the metrics in `missing` (those no sentence states)."""
    if not any(m.caption for m in missing):
        return Captions()
    read = _read(text, year, rows=True)
    # Row labels are captions only on a sheet whose own captions pair, and only where every
    # label follows its figure: else they are a table, and the table reader's.
    if read.rows and (not any(not f.row for f in read.figures) or any(u.row for u in read.unpaired)):
        read = _read(text, year, rows=False)
    return _wanted(read, {m.metric for m in missing})


def _read(text: str, year: int, rows: bool) -> Captions:
    captions = _captions(text, rows)
    out = Captions()
    if not any(not c.row for c in captions):
        return out
    chained = -1  # where the last run of captions set with figures ends
    for run in _runs(text, captions):
        if (pairs := _pair(text, run, year, chained)) is not None:
            out.figures += pairs[0]
            out.unpaired += pairs[1]
            chained = run[-1].end
    return out


def _wanted(read: Captions, wanted: set[str]) -> Captions:
    """The figures and failures of the wanted metrics: a caption in a sentence the sheet states
    is no figure of its own. A metric captioned twice with two figures is read from neither."""
    out = Captions(unpaired=[u for u in read.unpaired if u.metric in wanted])
    for metric in dict.fromkeys(f.metric for f in read.figures if f.metric in wanted):
        figures = [f for f in read.figures if f.metric == metric]
        if len({f.numeral for f in figures}) == 1:
            out.figures.append(figures[0])
        else:
            numerals = " and ".join(f"'{f.numeral}'" for f in figures)
            out.unpaired.append(Unpaired(metric, figures[0].start, figures[-1].end,
                                         f"two captions of it are set with different figures ({numerals})",
                                         figures[0].row))
    failed = {u.metric for u in out.unpaired}
    out.figures = [f for f in out.figures if f.metric not in failed]
    return out
