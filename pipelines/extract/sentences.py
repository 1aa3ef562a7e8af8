"""Sentences of the normalised text: the unit a figure's evidence quotes."""

from __future__ import annotations

import re
from itertools import pairwise

# A sentence ends at . ! or ? (after any closing quote or bracket) followed by white space and
# a capital, digit, quote or bracket; at a colon followed by a capital (a table announced "as
# follows:" and printed on the next line); or at a paragraph break unless the next paragraph
# starts in lowercase (a page break inside a sentence). Initials ("U.S.", "D.C.") end no sentence.
# (The look-ahead says what any boundary starts with: one test a position instead of three.)
_BOUNDARY = re.compile(
    r"(?=[\"') \]\n])"
    r"(?:(?<=[.!?])[\"')\]]*(?P<gap> )(?=[\"'(\[]*[A-Z0-9])"
    r"|(?<=:)(?P<colon> )(?=[A-Z])"
    r"|(?P<para>\n)(?![a-z]))"
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
    for a, b in pairwise(cuts):
        chunk = folded[a:b]
        lead = len(chunk) - len(chunk.lstrip())
        trail = len(chunk.rstrip())
        if trail > lead:
            spans.append((a + lead, a + trail))
    return spans
