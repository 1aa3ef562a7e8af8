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
# One character for one: quotes and dashes to ASCII, any white space but a newline to a space.
_SAME_LENGTH = str.maketrans({**_FOLD, **{ch: " " for ch in "\t\x0b\x0c\u00a0\u1680\u2000\u2001\u2002"
                                          "\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
                                          "\u2028\u2029\u202f\u205f\u3000"}})
# What changes length: bold markers and invisible characters vanish; a run of white space (or a
# lone newline) becomes one character, "\n" where it holds a blank line (a paragraph break).
_SPECIAL = re.compile(r"\*\*|[\u00ad\u200b\u200c\u200d\u2060\ufeff]|\s{2,}|\n")
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
    # Same-length replacements keep every offset, so only the length-changing matches below
    # need a segment of the map: a few hundred per sheet, not one per word.
    same = text.translate(_SAME_LENGTH)
    out: list[str] = []
    starts: list[int] = []
    origins: list[int] = []
    lengths: list[int] = []
    literal: list[bool] = []
    pos = last = 0
    for m in _SPECIAL.finditer(same):
        a, b = m.span()
        if a > last:
            out.append(same[last:a]); starts.append(pos); origins.append(last)
            lengths.append(a - last); literal.append(True)
            pos += a - last
        last = b
        run = m.group()
        if run == "**" or len(run) == 1 and not run.isspace():
            continue
        out.append("\n" if _PARAGRAPH.search(run) else " ")
        starts.append(pos); origins.append(a); lengths.append(b - a); literal.append(False)
        pos += 1
    if last < len(same) or not starts:
        out.append(same[last:]); starts.append(pos); origins.append(last)
        lengths.append(len(same) - last); literal.append(True)
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
