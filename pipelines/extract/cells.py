"""The missing-children table's text as words and numbers (breakdown.py pairs them).

White space, pipes and colons separate them, and so do the seams of cells run together
("Services30Other": a lower-case letter before a capital, a letter or ")" before a digit, a digit
before a letter), all in one pass of the engine, when the text has such a seam at all.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from string import ascii_lowercase, ascii_uppercase, digits

from pipelines.core.pairs import Pairs

_TOKEN = re.compile(r"[^\s|:]+")
_GLUED_TOKEN = re.compile(r"[^\s|:]+?(?:(?=[\s|:])|\Z|(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z)])(?=\d)|(?<=\d)(?=[A-Za-z]))")
_SEAM = re.compile(r"[a-z][A-Z]|[A-Za-z)]\d|\d[A-Za-z]")
_SEAM_PAIRS = Pairs({"a": ascii_lowercase, "A": ascii_uppercase, "0": digits, ")": ")"},
                    ("aA", "a0", "A0", ")0", "0a", "0A"))  # the same test, in C (pipelines/core/pairs.py)
_NUMBER = re.compile(r"\d[\d,.]*")
NOT_STATED = re.compile(r"N/?A", re.IGNORECASE)  # a row the table lists with no figure: absent, never 0
_NEWLINE = re.compile("\n")
_RULE = re.compile(r"[-=_*]+")  # what is left of a markdown table's delimiter row
_NUMBER_CELL = re.compile(rf"{_NUMBER.pattern}|(?i:{NOT_STATED.pattern})")  # a figure, or "N/A"
WINDOW = 1500  # characters after the table's first label: the table is far shorter
SEPARATOR = re.compile(r"[\s|:]")  # between two words: where a text's first words end whole


def has_seam(text: str, start: int = 0, end: int | None = None) -> bool:
    """Whether text[start:end] has a seam: a text without one reads the same either way."""
    part = text[start:end]
    return _SEAM_PAIRS.may_hold(part) and _SEAM.search(part) is not None


class Token:
    """A word or a number of the table's text, and its line."""

    __slots__ = ("start", "end", "text", "line", "number", "is_number")

    def __init__(self, start: int, end: int, text: str, line: int):
        self.start, self.end, self.text, self.line = start, end, text, line
        self.number = text.strip(".,;()")
        self.is_number = _NUMBER_CELL.fullmatch(self.number) is not None


def tokens(text: str, start: int, end: int | None = None, glued: bool | None = None) -> list[Token]:
    """The words and numbers of text[start:end] (end: a WINDOW on), a markdown rule's dashes left
    out; split at seams where the text has one (`glued`, when given, says whether a longer text
    whose first words these are has one)."""
    end = min(len(text), start + WINDOW) if end is None else end
    breaks = [m.start() for m in _NEWLINE.finditer(text, start, end)]
    pattern = _GLUED_TOKEN if (has_seam(text, start, end) if glued is None else glued) else _TOKEN
    return [Token(m.start(), m.end(), word, bisect_left(breaks, m.start()))
            for m in pattern.finditer(text, start, end)
            if not ((word := m.group())[0] in "-=_*" and _RULE.fullmatch(word))]
