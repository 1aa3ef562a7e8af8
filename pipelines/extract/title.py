"""Stage 2b: what a sheet is about: the place its title names, and the year its sentences give."""

from __future__ import annotations

import re
from collections import Counter

from pipelines.core import anchors, catalog
from pipelines.extract.sentences import sentence_year

_TITLE = anchors.compile(
    r"Missing and Exploited Children\s+(?:for\s+)?(?:the\s+)?(?P<place>[^\n]{2,60}?)"
    r"\s+(?:Data|Fact Sheet|Statistics)\b"
)
_LISTED = anchors.compile(r"Listed below are\s+(?:the\s+)?(?P<place>[^\n]{2,60}?)\s+specific statistics")
# An infographic's title, at the head of a paragraph: "New Jersey Data 2022".
_DATA_TITLE = anchors.compile(r"(?:^|\n) ?(?P<place>[A-Z][^\n]{1,58}?)\s+Data\s+(?:19|20)\d\d\b")
_SEPARATORS = "\u00b7|\u2022:-\u2013\u2014 "
MARKER = re.compile(r"National Center for Missing (?:and|&) Exploited Children|\bNCMEC\b", re.IGNORECASE)


def sheet_place(flat: str, folded: str | None) -> str | None:
    """The place the title (or "Listed below are ... statistics", or "<Place> Data <year>")
    names. A running header may repeat the title with a separator ("... Children · Wisconsin
    Data"), and a layout tool may interleave a two-column title: the first that names a known
    place wins; else the first, for the rejection to quote."""
    names = [m.group("place").strip().lstrip(_SEPARATORS).strip()
             for p in (_TITLE, _LISTED, _DATA_TITLE) for m in p.finditer(flat, folded)]
    return next((n for n in names if catalog.resolve_place(n)), names[0] if names else None)


def sheet_year(flat: str, spans: list[tuple[int, int]]) -> int | None:
    """The year most of the sheet's sentences give ("In 2023, ..."); the latest on a tie."""
    years = Counter(y for a, b in spans if (y := sentence_year(flat[a:b])) is not None)
    if not years:
        return None
    top = max(years.values())
    return max(y for y, n in years.items() if n == top)
