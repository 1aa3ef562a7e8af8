"""A matching view of a sheet's text, with a map back to the decoded text.

PDF exports differ in line wrapping, bold markers, quotes and spaces. The extractor matches on
a folded copy (bold markers dropped, quotes and dashes in ASCII, each run of white space one
character) and maps every match back to the decoded text, so evidence is quoted verbatim.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

_FOLD = {
    "\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
}
# Bold markers and invisible characters vanish; white space runs (any Unicode space, NBSP
# included) become one character; the characters in _FOLD are swapped for ASCII.
_SPECIAL = re.compile(
    r"(?P<drop>\*\*|[\u00ad\u200b\u200c\u200d\u2060\ufeff])"
    r"|(?P<space>\s+)"
    r"|(?P<fold>[" + "".join(_FOLD) + "])"
)
# A blank line ends a paragraph ("\n" in the folded text); any other white space is a space.
_PARAGRAPH = re.compile(r"\n[^\S\n]*\n")


@dataclass(frozen=True)
class Folded:
    """The folded text and, per segment, where it starts here and in the decoded text."""

    text: str
    _starts: tuple[int, ...]  # segment start in the folded text
    _origins: tuple[int, ...]  # segment start in the decoded text
    _lengths: tuple[int, ...]  # segment length in the decoded text
    _literal: tuple[bool, ...]  # copied one to one (else one char standing for a run)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the folded text to the decoded text."""
        i = bisect_right(self._starts, start) - 1
        j = bisect_right(self._starts, end - 1) - 1
        o_start = self._origins[i] + (start - self._starts[i] if self._literal[i] else 0)
        if self._literal[j]:
            o_end = self._origins[j] + (end - self._starts[j])
        else:
            o_end = self._origins[j] + self._lengths[j]
        return o_start, o_end


def fold(text: str) -> Folded:
    out: list[str] = []
    starts: list[int] = []
    origins: list[int] = []
    lengths: list[int] = []
    literal: list[bool] = []
    pos = 0  # position in the folded text

    def segment(chunk: str, origin: int, length: int, is_literal: bool) -> None:
        nonlocal pos
        out.append(chunk)
        starts.append(pos)
        origins.append(origin)
        lengths.append(length)
        literal.append(is_literal)
        pos += len(chunk)

    last = 0
    for m in _SPECIAL.finditer(text):
        if m.start() > last:
            segment(text[last : m.start()], last, m.start() - last, True)
        last = m.end()
        if m.group("drop"):
            continue
        if m.group("space"):
            run = m.group("space")
            segment("\n" if _PARAGRAPH.search(run) else " ", m.start(), len(run), False)
        else:
            segment(_FOLD[m.group("fold")], m.start(), 1, True)
    if last < len(text):
        segment(text[last:], last, len(text) - last, True)
    if not starts:
        segment("", 0, 0, True)
    return Folded("".join(out), tuple(starts), tuple(origins), tuple(lengths), tuple(literal))


# A sentence ends at . ! or ? (after any closing quote or bracket) followed by white space and
# a capital, digit, quote or bracket; or at a paragraph break unless the next paragraph starts
# in lowercase (a page break inside a sentence). Initials ("U.S.", "D.C.") end no sentence.
_BOUNDARY = re.compile(
    r"(?<=[.!?])[\"')\]]*(?P<gap> )(?=[\"'(\[]*[A-Z0-9])"
    r"|(?P<para>\n)(?![a-z])"
)
_INITIALS = re.compile(r"(?:\b[A-Z]\.)+[\"')\]]*$|\b(?:St|Mr|Mrs|Ms|Dr|No|Inc|vs|etc)\.$")


def sentence_spans(folded: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence of the folded text, trimmed of white space."""
    cuts = [0]
    for m in _BOUNDARY.finditer(folded):
        if m.group("gap") and _INITIALS.search(folded[max(0, m.start() - 12) : m.start("gap")]):
            continue
        cuts.append(m.end())
    cuts.append(len(folded))
    spans = []
    for a, b in zip(cuts, cuts[1:]):
        chunk = folded[a:b]
        lead = len(chunk) - len(chunk.lstrip())
        trail = len(chunk.rstrip())
        if trail > lead:
            spans.append((a + lead, a + trail))
    return spans
