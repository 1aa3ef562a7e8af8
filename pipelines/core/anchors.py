"""Where a pattern's matches can start, found with `str.find` on a literal word every match holds.

A catalog pattern scanned over a whole sheet tries its leading alternations (qualifiers, number
forms) at every word; most of a sheet's parse went there. Every match of "{Q}{N} CyberTipline
reports ..." holds the word "cybertipline" (its anchor), so a sheet without the word has no
match, and with it no match can start before the last character, ahead of the word's first
occurrence, that the pattern's head ("{Q}{N} ") cannot match (a barrier: a colon, a full stop
not before a digit, a letter outside ASCII). Running the pattern from there gives exactly the
match (and every later match) that running it from the start gives: the same `re` engine, the
same pattern, only positions where no match can start are skipped. A pattern has up to three
anchors, its longest words: each moves the start on from where the one before left it.

Case: patterns ignore case, so the anchor is found in the text lowercased. That is exact only
when lowercasing keeps every offset and no character matches an ASCII letter in another case
form (the Kelvin sign matches "k", the long s "s"): otherwise `fold` gives None and patterns run
from the start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice

# Characters outside ASCII that `re.IGNORECASE` matches to an ASCII letter (tests/test_anchors.py
# derives the set from the `re` module itself).
CASE_TWINS = frozenset("\u0130\u0131\u017f\u212a")
_SYNTAX = set("()?:|*+{}")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# What a head made of words, qualifiers and figures can never hold: a comma or full stop not
# inside a figure, or any character but letters, digits and white space.
# Matched greedily from the start, it ends where the last barrier before the anchor ends.
_BARRIER = r"(?s:.*)(?:[^A-Za-z0-9\s,.{extra}]|[.,](?![\d,]))"


def fold(text: str) -> str | None:
    """The text lowercased at the same offsets, or None when finding an anchor in it would not be exact."""
    if text.isascii():
        return text.lower()
    lowered = text.lower()
    return lowered if len(lowered) == len(text) and CASE_TWINS.isdisjoint(text) else None


@dataclass(frozen=True)
class Anchor:
    """A literal word every match holds, and what the pattern's head before it cannot match."""

    word: str
    barrier: re.Pattern[str] | None = None  # None: every match starts at the word

    def start(self, text: str, folded: str, lo: int) -> int | None:
        """No match starts before this position (at least `lo`); None: no match at all."""
        first = folded.find(self.word, lo)  # a match starting at lo or later holds it there
        if first < 0:
            return None
        if self.barrier is None:
            return first
        last = self.barrier.match(text, lo, first)
        return last.end() if last else lo


@dataclass(frozen=True)
class Anchored:
    """A compiled pattern and the anchors of its matches: each gives a position before which no
    match starts, so a match starts at or after the latest of them."""

    pattern: re.Pattern[str]
    anchors: tuple[Anchor, ...] = ()
    lead: str | None = None  # a word every match starts with: a match is tried only where it is

    @property
    def anchor(self) -> str | None:
        return self.anchors[0].word if self.anchors else None

    def start(self, text: str, folded: str | None, pos: int = 0) -> int | None:
        """No match starts before this position (at least `pos`); None: the text has no match there."""
        if folded is None:
            return pos
        lo = pos
        for anchor in self.anchors:
            at = anchor.start(text, folded, lo)
            if at is None:
                return None
            lo = at
        return lo

    def search(self, text: str, folded: str | None) -> re.Match[str] | None:
        found = self.finditer(text, folded, most=1)
        return found[0] if found else None

    def finditer(self, text: str, folded: str | None, most: int | None = None, pos: int = 0) -> list[re.Match[str]]:
        """Every match from `pos` on, as `pattern.finditer` gives them (with `most`, the first `most` only)."""
        lo = self.start(text, folded, pos)
        if lo is None:
            return []
        if self.lead is None or folded is None:
            return list(islice(self.pattern.finditer(text, lo), most))
        found: list[re.Match[str]] = []
        at = folded.find(self.lead, lo)
        while at >= 0 and (most is None or len(found) < most):
            m = self.pattern.match(text, at)
            if m:
                found.append(m)
            at = folded.find(self.lead, max(m.end(), at + 1) if m else at + 1)
        return found


def _words(source: str) -> list[tuple[int, str]]:
    """The literal words outside any group, placeholder or escape, with where each starts (a
    letter made optional by "?" or "*" left out)."""
    words: list[tuple[int, str]] = []
    depth, i = 0, 0
    while i < len(source):
        c = source[i]
        if c == "\\" or c == "{":
            i = source.index("}", i) + 1 if c == "{" else i + 2
            continue
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c.isalpha() and depth == 0:
            j = i
            while j < len(source) and source[j].isalpha():
                j += 1
            word = source[i : j - 1] if j < len(source) and source[j] in "?*" else source[i:j]
            words.append((i, word))
            i = j
            continue
        i += 1
    return words


def _barrier(head: str) -> re.Pattern[str] | None:
    """What the head of a pattern (the part before its anchor) can never match; None when that
    cannot be said (a place name, a wildcard, an escape)."""
    names = set(_PLACEHOLDER.findall(head))
    if names - {"Q", "N", "PCT"} or "\\" in head or "[" in head or "." in _PLACEHOLDER.sub("", head):
        return None
    extra = {c for c in _PLACEHOLDER.sub("", head) if not (c.isalnum() or c.isspace()) and c not in _SYNTAX}
    extra |= {"%"} if "PCT" in names else set()
    return re.compile(_BARRIER.format(extra=re.escape("".join(sorted(extra)))))


def anchored(source: str, pattern: re.Pattern[str], most: int = 3) -> Anchored:
    """`pattern` compiled from `source` (the catalog's mini-language or a plain regex) with the
    longest literal words (three letters or more) that every match holds and ahead of which a
    barrier can be said: the longer the word, the rarer, and the later the scan starts."""
    source = source.removeprefix("\\b")  # a match starting a word still starts with its first word
    if _alternatives(source):
        return Anchored(pattern)
    found, lead = [], None
    for at, word in _words(source):
        if len(word) < 3:
            continue
        if at == 0:  # every match starts with it
            found.append(Anchor(word.lower()))
            lead = word.lower()
        elif barrier := _barrier(source[:at]):
            found.append(Anchor(word.lower(), barrier))
    return Anchored(pattern, tuple(sorted(found, key=lambda a: -len(a.word))[:most]), lead)


def _alternatives(source: str) -> bool:
    """Whether the pattern is alternatives at its top level ("a|b"): no word is in every match."""
    depth, i = 0, 0
    while i < len(source):
        c = source[i]
        if c == "\\":
            i += 2
            continue
        depth += (c in "([") - (c in ")]")
        if c == "|" and depth == 0:
            return True
        i += 1
    return False


def compile(source: str, flags: int = re.IGNORECASE) -> Anchored:  # noqa: A001 (as re.compile)
    """A plain regex, compiled and anchored."""
    return anchored(source, re.compile(source, flags))
