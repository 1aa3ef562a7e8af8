"""Page furniture, as a step of a `Mapped` text (see normalise.py).

Every PDF-to-text tool prints a page's running header and footer (NCMEC's address, a page
number, a copyright year) where the page broke, often in the middle of a sentence or of the
missing-children table. They are found by what they are: lines that come back page after page,
"Page 2 of 3", copyright lines, letter-spaced headers, a draft's watermark, and lone numbers that
count the pages.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter

from pipelines.core import anchors, catalog
from pipelines.read.textmap import Edit, Mapped

# A repeated line is furniture when it is unlike a chance repeat of prose: long ("National
# Center for Missing & Exploited Children · Ohio Data"), or with figures in it ("1-800-843-5678 ·
# MissingKids.org", "Revised 03/2024. Page 2 of 3"). Prose headings repeat their first words
# ("NCMEC's Work to Combat Child"), and a wrapped line may repeat a phrase, so neither counts.
_MIN_WORDS, _MIN_WORDS_WITH_FIGURES, _MIN_CHARS = 6, 2, 20
_WORD = re.compile(r"[A-Za-z]{2,}")
_PAGE_NUMBER = anchors.compile(r"\bPage\s+\d{1,3}(?:\s+of\s+\d{1,3})?\b")
_DASHED_PAGE = re.compile(r"(?m)^[ \t]*-[ \t]*\d{1,3}[ \t]*-[ \t]*$")  # "– 2 –", dashes folded by now
_DASHED_HINT = re.compile(r"-[ \t]*\d{1,3}[ \t]*-")  # what each holds: a literal first, scanned for in C
_COPYRIGHT = re.compile(r"(?im)^[ \t]*(?:copyright\b|\u00a9|\(c\)\s*\d{4})[^\n]*")
_COPYRIGHT_WORDS = ("copyright", "(c)", "\u00a9")  # one of which each match holds, in any case
_FIRST_SENTENCE = re.compile(r"\bIn (?:19|20)\d\d\b")
_LONE_NUMBER = re.compile(r"(?m)^[ \t]*(\d{1,3})[ \t]*$")
_LONE_HINT = re.compile(r"\n[ \t]*\d{1,3}[ \t]*(?:\n|\Z)")  # in "\n" + text: whether it holds one
_PAGE_CHARS = 150  # the least text between two page numbers (each at a page's edge)
_EDGE_CHARS = 8  # how near a page's edge (a form feed, a header) its number is printed
_FORM_FEED = re.compile("\f")
# A letter-spaced running header ("N C M E C | N O R T H E R N  M A R I A N A ... 2 0 2 4 - 2 -"): a
# dozen characters or more each on its own, which no sentence prints. Looked for only where the
# text, every character but white space made an "x", holds " x x x x x x " (one pass in C).
_LETTER_SPACED = re.compile(r"(?<!\S)\S(?:[ \t]{1,3}\S(?!\S)){11,}")
_ANY_CHARACTER = bytes.maketrans(bytes(range(33, 256)), b"x" * 223)
# A draft's watermark, printed wherever its text run fell: mid-sentence, between a table's labels,
# or broken over two lines ("PRELIM\nINARY"). In capitals only; a pattern run only where the text
# holds the first letters of one.
_WATERMARKS = ("PRELIMINARY", "DRAFT")
_WATERMARK = re.compile("|".join(rf"{w[0]}(?<![A-Za-z]{w[0]})\s?" + r"\s?".join(w[1:]) + "(?![A-Za-z])"
                                 for w in _WATERMARKS))  # the first letter first: scanned for in C
_FIGURE = re.compile(r"\d[,.]\d|\d{5}")  # a figure, not a year or a page number: never furniture
_DIGITS = re.compile(r"\d+")  # a line's shape: as a page repeats it, digits (page numbers, years) aside
# A sheet's pages repeat a header and a footer, a few shapes; text that repeats thousands of lines
# is no sheet's furniture, and each shape more is a branch of the pattern tried along the text.
_MAX_SHAPES = 50


def _furniture_like(shape: str) -> bool:
    words = len(_WORD.findall(shape))
    return len(shape) >= _MIN_CHARS and (words >= _MIN_WORDS or ("#" in shape and words >= _MIN_WORDS_WITH_FIGURES))


def _as_pattern(shape: str) -> str:
    """The regex of a shape: any digits where it has "#", any white space between its words."""
    return r"\s+".join(re.escape(word).replace("\\#", "#").replace("#", r"\d+") for word in shape.split(" "))


# What a line's shape does not tell apart, in ASCII: its digits (a run of them is "#"), a "#" itself,
# and white space as str.split() knows it, the line break aside.
_NOT_IN_SHAPE = b"0123456789# \t\r\x0b\x0c\x1c\x1d\x1e\x1f"


def _may_repeat(text: str) -> bool:
    """Whether a line with letters may repeat another's shape (a furniture-like shape has words):
    when, with what a shape does not tell apart taken out (in C: bytes.translate, split, a set, a
    count), no line of ASCII text but a blank one repeats, no such shape does. Text that is not
    ASCII holds other digits and white space, and is asked line by line."""
    if not text.isascii():
        return True
    lines = text.encode("ascii").translate(None, _NOT_IN_SHAPE).split(b"\n")
    blanks = lines.count(b"")
    return len(lines) - len(set(lines)) > max(blanks - 1, 0)


def _repeated(text: str) -> list[str]:
    """The shapes of lines that repeat and look like furniture, the longest first."""
    if not _may_repeat(text):
        return []
    shaped = _DIGITS.sub("#", text)
    shapes = Counter(" ".join(line.split()) for line in shaped.split("\n"))
    common = sorted((s for s, n in shapes.items() if n >= 2 and _furniture_like(s)), key=lambda s: -shapes[s])
    return sorted(common[:_MAX_SHAPES], key=len, reverse=True)


def _holds(folded: str | None, *words: str) -> bool:
    """Whether the text (`anchors.fold` of it) may hold one of the lowercase words in any case:
    None, a text whose lowercasing is not exact, may."""
    return folded is None or any(word in folded for word in words)


def strip_page_furniture(text: Mapped) -> Mapped:
    """Running headers and footers, page numbers and copyright lines out, wherever they landed.

    A header that also opens the first page before any figure is kept there: it may be the
    sheet's only title. Each kind is looked for only where a test in C says the text may hold it.
    """
    repeated = _repeated(text.text)
    folded = anchors.fold(text.text)  # once, for each finder and hint that asks it
    edits: list[Edit] = []
    if repeated:
        first_figure = m.start() if (m := _FIRST_SENTENCE.search(text.text)) else len(text.text)
        figures = _Spans(_figures(text.text, folded))
        pattern = re.compile("|".join(_as_pattern(s) for s in repeated))
        for k, m in enumerate(pattern.finditer(text.text)):
            if k == 0 and m.end() <= first_figure:
                continue
            # Prose can repeat a line too ("enforcement and child-serving professionals"): a
            # line that carries a figure's words is never furniture.
            if not figures.meets(m.start(), m.end()):
                edits.append((m.start(), m.end(), ""))
    if _holds(folded, *_COPYRIGHT_WORDS):
        edits += [(m.start(), m.end(), "") for m in _COPYRIGHT.finditer(text.text)]
    if _DASHED_HINT.search(text.text):
        edits += [(m.start(), m.end(), "") for m in _DASHED_PAGE.finditer(text.text)]
    if b" x x x x x x " in text.text.encode("latin-1", "replace").translate(_ANY_CHARACTER):
        edits += [(m.start(), m.end(), "") for m in _LETTER_SPACED.finditer(text.text)
                  if not _FIGURE.search("".join(m.group().split()))]
    if "age" in text.text or "AGE" in text.text:
        edits += [(m.start(), m.end(), "") for m in _PAGE_NUMBER.finditer(text.text, folded)]
    if any(w[:3] in text.text for w in _WATERMARKS):
        edits += [(m.start(), m.end(), "") for m in _WATERMARK.finditer(text.text)]
    edits += _page_numbers(text.text, edits)
    return text.edit(_disjoint(edits))


class _Spans:
    """Spans merged into disjoint ones, sorted: whether one meets [start, end) by bisection, so
    that asking for every match costs a logarithm each, not a pass over all the spans."""

    def __init__(self, spans: list[tuple[int, int]]):
        merged: list[list[int]] = []
        for a, b in sorted(spans):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        self.starts, self.ends = [a for a, _ in merged], [b for _, b in merged]

    def meets(self, start: int, end: int) -> bool:
        """Some span overlaps [start, end) (spans of their own width: a < end and start < b)."""
        i = bisect_right(self.ends, start)  # the first span ending after start
        return i < len(self.starts) and self.starts[i] < end


def _figures(text: str, folded: str | None) -> list[tuple[int, int]]:
    """Where the catalog's sentences and table labels match the text as it is (`folded`: its fold)."""
    spans: list[tuple[int, int]] = []
    for metric in catalog.metrics():
        for finder in (*metric.anchored, *((metric.label_anchored,) if metric.label_anchored else ())):
            spans += [m.span() for m in finder.finditer(text, folded)]
    return spans


def _page_numbers(text: str, furniture: list[Edit]) -> list[Edit]:
    """Lone numbers that count the pages: 1 (or 2), then the next number at least a page's worth
    of text later, and so on, each where a page starts or ends: by a form feed, the start or end
    of the text, or a header or footer. A lone number elsewhere is a table's cell."""
    if not _LONE_HINT.search(f"\n{text}"):
        return []
    edges = sorted([0, len(text), *(m.start() for m in _FORM_FEED.finditer(text)),
                    *(pos for start, end, _ in furniture for pos in (start, end))])
    lone = [(m, int(m.group(1))) for m in _LONE_NUMBER.finditer(text)
            if bisect_right(edges, m.end() + _EDGE_CHARS) > bisect_left(edges, m.start() - _EDGE_CHARS)]
    best: list[re.Match[str]] = []
    # The chain from the first 1 (or 2) is at least as long as one from any later 1 (2): each
    # number it takes comes no later. So two chains are tried, not one from every lone 1.
    for i in sorted(next((i for i, (_, v) in enumerate(lone) if v == first), len(lone)) for first in (1, 2)):
        if i == len(lone):
            continue
        chain, value = [lone[i][0]], lone[i][1]
        for later, v in lone[i + 1 :]:
            if v == value + len(chain) and later.start() - chain[-1].end() >= _PAGE_CHARS:
                chain.append(later)
        if len(chain) > len(best):
            best = chain
    return [(m.start(1), m.end(1), "") for m in best] if len(best) >= 2 else []


def _disjoint(edits: list[Edit]) -> list[Edit]:
    """Sorted, with any edit inside an earlier one dropped (all of these are deletions)."""
    out: list[Edit] = []
    for start, end, repl in sorted(edits):
        if out and start < out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end, "")
            continue
        out.append((start, end, repl))
    return out
