"""Sentences of the normalised text: the unit a figure's evidence quotes, and the catalog's
sentence for a metric found in them (in `flat`, else in the skeleton)."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from itertools import pairwise
from typing import NamedTuple

from pipelines.core import catalog
from pipelines.read.normalise import Normalised

# A sentence ends at . ! or ? (after any closing quote or bracket) followed by white space and
# a capital, digit, quote or bracket; at a colon followed by a capital (a table announced "as
# follows:" and printed on the next line); or at a paragraph break unless the next paragraph
# starts in lowercase (a page break inside a sentence). Initials ("U.S.", "D.C.") end no sentence.
# (Each match starts with the character that ends the sentence, a class the engine scans for in C:
# the spaces between words, every one of which a pattern starting at the space would be tried at,
# are passed over.)
_BOUNDARY = re.compile(
    r"[.!?:\n]"
    r"(?:(?<=[.!?])[\"')\]]*(?P<gap> )(?=[\"'(\[]*[A-Z0-9])"
    r"|(?<=:)(?P<colon> )(?=[A-Z])"
    r"|(?<=\n)(?![a-z]))"
)
# "In 2023," as the sheets write it: a copyright line, a revision date or "began in 2002" is no
# sentence's year.
_YEAR = re.compile(r"In(?<!\wIn)\s+((?:19|20)\d\d)\b")  # "\bIn": the literal first, scanned for in C
_INITIALS = re.compile(r"(?:\b[A-Z]\.)+[\"')\]]*$|\b(?:St|Mr|Mrs|Ms|Dr|No|Inc|vs|etc)\.$")


def sentence_spans(folded: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence of the folded text, trimmed of white space."""
    cuts = [0]
    for m in _BOUNDARY.finditer(folded):
        # (The 12 characters before the closing quotes and the gap: the match starts at the full stop.)
        if m.group("gap") and _INITIALS.search(folded[max(0, m.start() + 1 - 12) : m.start("gap")]):
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


def sentence_year(sentence: str) -> int | None:
    m = _YEAR.search(sentence)
    return int(m.group(1)) if m else None


def sentence_years(text: str, spans: list[tuple[int, int]]) -> list[int]:
    """The year of each sentence (spans of `text`) that gives one: `sentence_year` of each, found
    in one pass over the text instead of a pass over each sentence. A sentence's year is its first
    match that lies inside it; a sentence starts after white space and ends before it, so a match's
    word boundaries are the same in the text as in the sentence alone."""
    starts = [a for a, _ in spans]
    years, counted = [], -1
    for m in _YEAR.finditer(text):
        i = bisect_right(starts, m.start()) - 1
        if i >= 0 and i != counted and m.end() <= spans[i][1]:
            years.append(int(m.group(1)))
            counted = i
    return years


class Sentences:
    """The sentences' spans (sorted, apart), searched by bisection."""

    def __init__(self, spans: list[tuple[int, int]]):
        self.starts, self.ends = [a for a, _ in spans], [b for _, b in spans]

    def covering(self, start: int, end: int) -> tuple[int, int]:
        """The sentences covering [start, end): from the one holding start to the one holding end
        (or start and end themselves, where no sentence holds them)."""
        i = bisect_right(self.starts, start) - 1
        j = bisect_left(self.ends, end)
        first = self.starts[i] if i >= 0 and start < self.ends[i] else start
        last = self.ends[j] if j < len(self.ends) and self.starts[j] < end else end
        return first, last


class Hit(NamedTuple):
    """A metric's figure found in a sentence: where, in `flat`, and its groups as printed."""

    start: int
    end: int
    numeral: str
    at: int  # where the numeral starts
    qual: str | None
    scale: str | None
    place: str | None
    again: bool  # the text states it a second time

    @classmethod
    def of(cls, m: re.Match[str], again: bool, skeleton: Normalised | None) -> Hit:
        """A match in `flat`, or in the skeleton of `skeleton` (spans mapped to `flat`, and the
        place read from `flat`, where its words are apart as the sheet printed them)."""
        def span(group: str | int) -> tuple[int, int]:
            return m.span(group) if skeleton is None else skeleton.skeleton.span_in(skeleton.flat, *m.span(group))

        groups = m.groupdict()
        place = groups.get("place")
        if place is not None and skeleton is not None:
            place = skeleton.flat.text[slice(*span("place"))]
        return cls(*span(0), groups["num"], span("num")[0], groups.get("qual"), groups.get("scale"), place, again)


def find(metric: catalog.Metric, norm: Normalised) -> Hit | None:
    """The metric's sentence in `flat`; else in the skeleton, where the extractor glued or
    split its words. A sheet states each figure once: `again` says the text repeats it (the
    pattern's anchors, looked for after the first match, say at once where it does not)."""
    for pattern in metric.anchored:
        if m := pattern.search(norm.flat.text, norm.folded):
            return Hit.of(m, bool(pattern.finditer(norm.flat.text, norm.folded, most=1, pos=m.end())), None)
    for pattern in metric.skeletons:
        if norm.may_hold(pattern) and (m := pattern.search(norm.skeleton.text, norm.skeleton_folded)):
            again = pattern.finditer(norm.skeleton.text, norm.skeleton_folded, most=1, pos=m.end())
            return Hit.of(m, bool(again), norm)
    return None


def words_only(metric: catalog.Metric, norm: Normalised) -> tuple[str, tuple[int, int]] | None:
    """Where only part of the metric's sentence is: a lead or a tail of it ("lead", "tail"), in
    `flat` or else its skeleton; else one of its mentions ("mention"), in the skeleton. The span
    is in `flat`. (A row's mentions are read with its table.)"""
    flat = norm.flat.text
    for kind, patterns in (("lead", metric.leads), ("tail", metric.tails)):
        if m := next((m for p in patterns if (m := p.search(flat))), None):
            return kind, m.span()
    mentions = () if metric.label else metric.mentions
    for kind, pattern in (*metric.skeleton_words, *(("mention", p) for p in mentions)):
        if m := pattern.search(norm.skeleton.text):
            return kind, norm.skeleton.span_in(norm.flat, *m.span())
    return None
