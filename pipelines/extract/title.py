"""Stage 2b: what a sheet is about: the place its title names, and the year its sentences give."""

from __future__ import annotations

import re
from collections import Counter

from pipelines.core import anchors, catalog
from pipelines.extract.sentences import sentence_years

_TITLE = anchors.compile(
    r"Missing and Exploited Children\s+(?:for\s+)?(?:the\s+)?(?P<place>[^\n]{2,60}?)"
    r"\s+(?:Data|Fact Sheet|Statistics)\b"
)
_LISTED = anchors.compile(r"Listed below are\s+(?:the\s+)?(?P<place>[^\n]{2,60}?)\s+specific statistics")
# An infographic's title, a line of its own: "New Jersey Data 2022". Found by its words (a scan
# for line starts costs as much as the whole sheet's parse), the place then read back to its line's start.
_DATA_YEAR = anchors.compile(r"Data\s+(?:19|20)\d\d\b")
_DATA_PLACE = re.compile(r" ?(?P<place>[A-Z][^\n]{1,58})", re.IGNORECASE)
_SEPARATORS = "\u00b7|\u2022:-\u2013\u2014 "
MARKER = re.compile(r"National Center for Missing (?:and|&) Exploited Children|\bNCMEC\b", re.IGNORECASE)


def sheet_place(flat: str, folded: str | None) -> str | None:
    """The place the title (or "Listed below are ... statistics", or "<Place> Data <year>")
    names. A running header may repeat the title with a separator ("... Children · Wisconsin
    Data"), and a layout tool may interleave a two-column title: the first that names a known
    place wins; else the first, for the rejection to quote."""
    places = [m.group("place") for p in (_TITLE, _LISTED) for m in p.finditer(flat, folded)]
    names = [p.strip().lstrip(_SEPARATORS).strip() for p in places + _data_titles(flat, folded)]
    return next((n for n in names if catalog.resolve_place(n)), names[0] if names else None)


def _data_titles(flat: str, folded: str | None) -> list[str]:
    """The places of "<Place> Data <year>" lines: the first such words of a line, after white
    space, and the line from its start to there (or the line before, "Data 2022" on a line of its own)."""
    places, lines = [], set()
    for m in _DATA_YEAR.finditer(flat, folded):
        head = flat[: m.start()].rstrip()
        line_start = head.rfind("\n") + 1
        if len(head) < m.start() and line_start not in lines and (place := _DATA_PLACE.fullmatch(head, line_start)):
            places.append(place.group("place"))
        lines.add(line_start)
    return places


def sheet_year(flat: str, spans: list[tuple[int, int]]) -> int | None:
    """The year most of the sheet's sentences give ("In 2023, ..."); the latest on a tie."""
    years = Counter(sentence_years(flat, spans))
    if not years:
        return None
    top = max(years.values())
    return max(y for y, n in years.items() if n == top)
