"""Footnote markers, as a step of a `Mapped` text (see normalise.py).

A sheet's footnote marker prints as a digit stuck to what it marks ("reports1", "Cases2",
"Wisconsin.4", "27,1303"), as a superscript ("reports¹", "<sup>1</sup>", "[^1]") or in
brackets ("reports[1]"). Those are taken off. The notes themselves say which markers exist
("1 Submissions are counted once.", "1. ...", "[1] ...", or the markers in a column and the
texts after them), so a marker found nowhere may be hiding in a figure: "771" is "77" and
marker 1. The extractor then reads no figure that could hide it (`footnote_ambiguous`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from string import ascii_lowercase, ascii_uppercase

from pipelines.core import catalog
from pipelines.core.pairs import Pairs
from pipelines.read.textmap import Mapped

_SUPERSCRIPTS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
_FROM_SUPERSCRIPT = str.maketrans(_SUPERSCRIPTS, "0123456789")
_SUPERSCRIPT_RUN = re.compile(f"[{_SUPERSCRIPTS}]+")
# A marker stuck to the end of a word, a closing bracket, a percent sign or a sentence's period,
# bare or in brackets; never digits that a comma or point followed by a digit carries on: that is
# a figure glued to the word before it ("received36.2 million", "over9,000" from Ghostscript).
# (The look-behind follows the first character: a pattern that starts with one is tried at every
# position, one that starts with a character class is scanned for in C.)
_GLUED = re.compile(r"(?=[1-9\[])"
                    r"(?:(?P<marker>[1-9](?<=[A-Za-z)%.][1-9])\d?)|\[(?<=[A-Za-z)%.]\[)(?P<bracketed>[1-9]\d?)\])"
                    r"(?=[\s;:!?)\]]|[,.](?!\d)|$)")
# What a match that `glued` takes off starts with, looked for in C: a digit or "[" right after a
# letter, ")" or "%", or after a sentence's full stop (one a lower-case letter ends: "Wisconsin.4";
# "29.3" is left as it is).
_GLUED_HINT = Pairs({"a": ascii_lowercase, "A": f"{ascii_uppercase})%", ".": ".", "1": "123456789", "[": "["},
                    ("a1", "A1", "a.1", "a[", "A[", "a.["))
# A grouped figure with a digit too many: "27,1303" is "27,130" and the marker 3.
_OVERFLOW = re.compile(r"\b(?P<number>\d{1,3}(?:,\d{3})+)(?P<marker>\d{1,2})\b(?![.,]\d)")
# A note's marker at the start of its line: "1", "1.", "1)", "[1]", "¹" (or "- 1" in a list).
_MARK = r"^[ \t]*(?:[-*][ \t]+)?(?:\[(?P<b>[1-9])\]|(?P<d>[1-9])[.)]?|(?P<s>[\u00b9\u00b2\u00b3\u2074-\u2079]))"
_LONE_MARK = re.compile(_MARK + r"[ \t]*$")
_MARK_AND_TEXT = re.compile(_MARK + r"[ \t]*(?P<text>[A-Z][^\n]*)$")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*$")
_NOTE_LINES = 4


@dataclass
class Footnotes:
    """The markers the notes define and those found marking something in the text."""

    defined: set[int] = field(default_factory=set)
    referenced: set[int] = field(default_factory=set)

    @property
    def unplaced(self) -> set[int]:
        """Markers whose note exists but whose mark was not found: it may be stuck to a figure."""
        return self.defined - self.referenced


def _marker(m: re.Match[str]) -> int:
    digit = m.group("b") or m.group("d") or m.group("s").translate(_FROM_SUPERSCRIPT)
    return int(digit)


def _is_note(paragraph: str, marker: str = "") -> bool:
    """A note is a sentence or two of its own: it ends with a full stop (a heading does not),
    and it states none of the catalog's figures or table labels (a page's prose does), read
    with its marker ("1 CyberTipline report was made available ..." is a wrapped sentence)."""
    text = " ".join(paragraph.split())
    if not _SENTENCE_END.search(text) or len(text.split()) < 3:
        return False
    text = f"{marker} {text}"
    return not any(p.search(text) for m in catalog.metrics() for p in (*m.patterns, *filter(None, [m.label])))


def _paragraph(lines: list[str], i: int) -> list[str]:
    """Line i and those after it until one ends a sentence (a note is short): not past a blank
    line or the next marker."""
    out = [lines[i]]
    for line in lines[i + 1 : i + _NOTE_LINES]:
        if _SENTENCE_END.search(out[-1].rstrip()) or not line.strip() or _LONE_MARK.match(line) \
                or _MARK_AND_TEXT.match(line):
            break
        out.append(line)
    return out


def notes(text: str) -> tuple[set[int], list[tuple[int, int]]]:
    """The markers the sheet's notes define, and the lines (first, last) the notes take: those
    of lines that read as notes, when they run 1, 2, ... (a lone table number, a page number or
    a wrapped "1 case in Ohio." is no note)."""
    lines = text.split("\n")
    found: set[int] = set()
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        if m := _MARK_AND_TEXT.match(lines[i]):
            note = _paragraph(lines, i)
            if _is_note(" ".join([m.group("text"), *note[1:]]), str(_marker(m))):
                found.add(_marker(m))
                spans.append((i, i + len(note) - 1))
                i += len(note)
                continue
        elif _LONE_MARK.match(lines[i]) and (group := _lone_marks(lines, i)):
            marks, last = group
            found |= marks
            spans.append((i, last))
            i = last + 1
            continue
        i += 1
    # Notes run 1, 2, ...: note 3 means notes 1 and 2 exist, even where a tool printed one
    # marker apart from its text. A lone high number with no note 1 is a page's or a table's.
    if 1 not in found or len(found) < max(found) / 2:
        return set(), []
    return set(range(1, max(found) + 1)), spans


def _lone_marks(lines: list[str], i: int) -> tuple[set[int], int] | None:
    """Markers alone on their lines from line i, then the notes' texts (pdftotext prints a
    page's note markers as a column of their own), a note for each marker; and the last line
    of the last note. A single marker right under a line that does not end a sentence is a
    table's cell ("Other Missing Children Cases" then "1")."""
    marks, j = [], i
    while j < len(lines) and (not lines[j].strip() or (m := _LONE_MARK.match(lines[j]))):
        if lines[j].strip() and m is not None:
            marks.append(_marker(m))
        j += 1
    before = lines[i - 1].strip() if i else ""
    if len(marks) == 1 and before and not _SENTENCE_END.search(before):
        return None
    last = j
    for _ in marks:
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j >= len(lines) or not lines[j].lstrip()[:1].isupper():
            return None
        note = _paragraph(lines, j)
        if not _is_note(" ".join(note)):
            return None
        last, j = j + len(note) - 1, j + len(note)
    return set(marks), last


def _line_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """Deletions of whole lines (first, last), their line breaks kept."""
    if not spans:
        return []
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    ends = [s - 1 for s in starts[1:]] + [len(text)]
    return [(starts[a], ends[b], "") for a, b in spans]


def strip_footnote_markers(text: Mapped) -> tuple[Mapped, Footnotes]:
    found = Footnotes()

    def superscript(m: re.Match[str]) -> str:
        # A superscript at a line's start is a note's own marker (notes() has read it); one
        # anywhere else marks something.
        if text.text[text.text.rfind("\n", 0, m.start()) + 1 : m.start()].strip():
            found.referenced.add(int(m.group().translate(_FROM_SUPERSCRIPT)))
        return ""

    def glued(m: re.Match[str]) -> str:
        if text.text[m.start() - 1] == "." and not text.text[m.start() - 2 : m.start() - 1].islower():
            return m.group()  # "2.5", "U.S.1": only a sentence's period ("Wisconsin.4") takes a marker
        marker = int(m.group("marker") or m.group("bracketed"))
        if marker > 9 and marker not in found.defined and m.group("marker"):
            return m.group()  # "Services96": no note 96, so a table cell glued to its label (Ghostscript)
        found.referenced.add(marker)
        return ""

    # The notes go: at a page's foot they often land in the middle of a sentence.
    found.defined, spans = notes(text.text)
    text = text.edit(_line_spans(text.text, spans))
    if not text.text.isascii():
        text = text.sub(_SUPERSCRIPT_RUN, superscript)
    if _GLUED_HINT.may_hold(text.text):
        text = text.sub(_GLUED, glued)

    def overflow(m: re.Match[str]) -> str:
        marker = int(m.group("marker"))
        if marker not in found.defined:
            return m.group()  # not a known marker: the figure is malformed, and read as such
        found.referenced.add(marker)
        return m.group("number")

    return (text.sub(_OVERFLOW, overflow) if found.defined else text), found
