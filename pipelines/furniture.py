"""Page furniture and footnote markers, as steps of a `Mapped` text (see normalise.py).

Every PDF-to-text tool prints a page's running header and footer (NCMEC's address, a page
number, a copyright year) where the page broke, often in the middle of a sentence or of the
missing-children table. They are found by what they are: lines that come back page after page,
"Page 2 of 3", copyright lines. Footnote markers print as a digit stuck to what they mark
("reports1", "Cases2", "27,1303") or as a superscript; the notes themselves say which markers
exist, so a marker that cannot be found in the text may be hiding in a figure ("771" for "77¹").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from . import catalog
from .textmap import Edit, Mapped

# A repeated line is furniture when it is unlike a chance repeat of prose: long ("National
# Center for Missing & Exploited Children · Ohio Data"), or with figures in it ("1-800-843-5678 ·
# MissingKids.org", "Revised 03/2024. Page 2 of 3"). Prose headings repeat their first words
# ("NCMEC's Work to Combat Child"), and a wrapped line may repeat a phrase, so neither counts.
_MIN_WORDS, _MIN_WORDS_WITH_FIGURES, _MIN_CHARS = 6, 2, 20
_WORD = re.compile(r"[A-Za-z]{2,}")
_PAGE_NUMBER = re.compile(r"\bPage\s+\d{1,3}(?:\s+of\s+\d{1,3})?\b", re.I)
_COPYRIGHT = re.compile(r"(?im)^[ \t]*(?:copyright\b|\u00a9|\(c\)\s*\d{4})[^\n]*")
_FIRST_SENTENCE = re.compile(r"\bIn (?:19|20)\d\d\b")
_LONE_NUMBER = re.compile(r"(?m)^[ \t]*(\d{1,3})[ \t]*$")


def _shape(line: str) -> str:
    """A line as a page repeats it: digits (page numbers, years) and spacing aside."""
    return re.sub(r"\d+", "#", " ".join(line.split()))


def _furniture_like(shape: str) -> bool:
    words = len(_WORD.findall(shape))
    return len(shape) >= _MIN_CHARS and (words >= _MIN_WORDS or ("#" in shape and words >= _MIN_WORDS_WITH_FIGURES))


def _as_pattern(shape: str) -> str:
    """The regex of a shape: any digits where it has "#", any white space between its words."""
    return r"\s+".join(re.escape(word).replace("\\#", "#").replace("#", r"\d+") for word in shape.split(" "))


def strip_page_furniture(text: Mapped) -> Mapped:
    """Running headers and footers, page numbers and copyright lines out, wherever they landed.

    A header that also opens the first page before any figure is kept there: it may be the
    sheet's only title.
    """
    lines = text.text.split("\n")
    shapes = Counter(_shape(line) for line in lines)
    repeated = sorted((s for s, n in shapes.items() if n >= 2 and _furniture_like(s)), key=len, reverse=True)
    edits: list[Edit] = []
    if repeated:
        first_figure = m.start() if (m := _FIRST_SENTENCE.search(text.text)) else len(text.text)
        figures = _figures(text.text)
        pattern = re.compile("|".join(_as_pattern(s) for s in repeated))
        for k, m in enumerate(pattern.finditer(text.text)):
            if k == 0 and m.end() <= first_figure:
                continue
            # Prose can repeat a line too ("enforcement and child-serving professionals"): a
            # line that carries a figure's words is never furniture.
            if not any(a < m.end() and m.start() < b for a, b in figures):
                edits.append((m.start(), m.end(), ""))
    edits += [(m.start(), m.end(), "") for m in _COPYRIGHT.finditer(text.text)]
    edits += [(m.start(), m.end(), "") for m in _PAGE_NUMBER.finditer(text.text)]
    edits += _page_numbers(text.text)
    return text.edit(_disjoint(edits))


def _figures(text: str) -> list[tuple[int, int]]:
    """Where the catalog's sentences and table labels match the text as it is."""
    spans = []
    for metric in catalog.metrics():
        for pattern in (*metric.patterns, *((metric.label,) if metric.label else ())):
            spans += [m.span() for m in pattern.finditer(text)]
    return spans


def _page_numbers(text: str) -> list[Edit]:
    """Lone numbers at page breaks (form feeds) that count pages: 1, 2, 3 ... (A lone number
    elsewhere may be a table cell.)"""
    found = []
    for m in _LONE_NUMBER.finditer(text):
        before, after = text[max(0, m.start() - 3) : m.start()], text[m.end() : m.end() + 3]
        if "\f" in before or "\f" in after:
            found.append(m)
    values = [int(m.group(1)) for m in found]
    if len(values) >= 2 and all(b == a + 1 for a, b in zip(values, values[1:])):
        return [(m.start(1), m.end(1), "") for m in found]
    return []


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


# ----------------------------------------------------------------------------------- footnotes

_SUPERSCRIPTS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
_FROM_SUPERSCRIPT = str.maketrans(_SUPERSCRIPTS, "0123456789")
_SUPERSCRIPT_RUN = re.compile(f"[{_SUPERSCRIPTS}]+")
# A marker stuck to the end of a word, a closing bracket, a percent sign or a sentence's period.
_GLUED = re.compile(r"(?:(?<=[A-Za-z)%])|(?<=[a-z]\.))(?P<marker>[1-9]\d?)(?=[\s,.;:!?)\]]|$)")
# A note: its marker alone on a line or at the line's start, then a capitalised sentence.
_NOTE = re.compile(r"(?m)^[ \t]*(?P<marker>[1-9])[ \t]*(?:\n[ \t]*){0,8}(?P<text>[A-Z]\S*(?:[ \t]+\S+){2,}[^\n]*)$")
# A grouped figure with a digit too many: "27,1303" is "27,130" and the marker 3.
_OVERFLOW = re.compile(r"\b(?P<number>\d{1,3}(?:,\d{3})+)(?P<marker>\d{1,2})\b(?![.,]\d)")


@dataclass
class Footnotes:
    """The markers the notes define and those found marking something in the text."""

    defined: set[int] = field(default_factory=set)
    referenced: set[int] = field(default_factory=set)

    @property
    def unplaced(self) -> set[int]:
        """Markers whose note exists but whose mark was not found: it may be stuck to a figure."""
        return self.defined - self.referenced


def _notes(text: str) -> set[int]:
    """The markers the sheet's notes define: those that run 1, 2, ... (a lone table number
    followed by a row label or a heading is no note)."""
    labels = [m.label for m in catalog.metrics() if m.label]
    markers = []
    for m in _NOTE.finditer(text):
        if not any(label.match(m.group("text")) for label in labels):
            markers.append(int(m.group("marker")))
    run = 0
    while run + 1 in markers:
        run += 1
    return set(range(1, run + 1))


def strip_footnote_markers(text: Mapped) -> tuple[Mapped, Footnotes]:
    notes = Footnotes()

    def superscript(m: re.Match[str]) -> str:
        value = int(m.group().translate(_FROM_SUPERSCRIPT))
        at_line_start = not text.text[text.text.rfind("\n", 0, m.start()) + 1 : m.start()].strip()
        (notes.defined if at_line_start else notes.referenced).add(value)
        return ""

    def glued(m: re.Match[str]) -> str:
        notes.referenced.add(int(m.group("marker")))
        return ""

    text = text.sub(_SUPERSCRIPT_RUN, superscript)
    text = text.sub(_GLUED, glued)
    notes.defined |= _notes(text.text)

    def overflow(m: re.Match[str]) -> str:
        marker = int(m.group("marker"))
        if marker not in notes.defined:
            return m.group()  # not a known marker: the figure is malformed, and read as such
        notes.referenced.add(marker)
        return m.group("number")

    return text.sub(_OVERFLOW, overflow), notes
