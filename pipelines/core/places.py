"""The places a sheet can be about: every state, DC and the territories (the `us` package), and the
nation (`US`); a place's code from its name as a sheet writes it, or as a person types it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

import us

from pipelines.core.printable import shortened

NATION = "US"

# Names a sheet may use that the `us` package does not spell that way.
_ALIASES = {
    "u.s. virgin islands": "VI",
    "us virgin islands": "VI",
    "united states virgin islands": "VI",
    "washington, d.c.": "DC",
    "washington d.c.": "DC",
    "washington dc": "DC",
    "d.c.": "DC",
    "commonwealth of the northern mariana islands": "MP",
    "commonwealth of puerto rico": "PR",
}


@dataclass(frozen=True)
class Geo:
    geo: str
    name: str
    kind: str  # state, district, territory, nation
    fips: str | None


@cache
def geos() -> tuple[Geo, ...]:
    rows = [Geo(s.abbr, s.name, "state", s.fips) for s in us.states.STATES]
    rows.append(Geo(us.states.DC.abbr, us.states.DC.name, "district", us.states.DC.fips))
    rows += [Geo(s.abbr, s.name, "territory", s.fips) for s in us.states.TERRITORIES]
    rows.append(Geo(NATION, "United States", "nation", None))
    return tuple(rows)


@cache
def known_geos() -> frozenset[str]:
    return frozenset(g.geo for g in geos())


@cache
def _names() -> dict[str, str]:
    names = {g.name.lower(): g.geo for g in geos() if g.kind != "nation"}
    names.update(_ALIASES)
    return names


def _clean(name: str) -> str:
    name = re.sub(r"\s+", " ", name).strip().strip(",").lower()
    return re.sub(r"^the ", "", name)


# A word split by a space ("North Car olina", "T ennessee"): a space before a lowercase letter.
_SPLIT_WORD = re.compile(r"(?<=[A-Za-z])\s+(?=[a-z])")
# Words glued together ("NewMexico"): a lowercase letter before a capital.
_GLUED_WORDS = re.compile(r"(?<=[a-z])(?=[A-Z])")


@lru_cache(maxsize=4096)  # a pure lookup, asked of every sheet with the same few names
def resolve_place(name: str) -> str | None:
    """USPS code for a place name as a sheet writes it, or None.

    Exact names only (no fuzzy matching, no two-letter codes: "In" is not Indiana). When the
    name runs on into following capitalised words, the longest leading part that is a place wins.
    A name an extractor split inside a word ("North Car olina") or glued ("NewMexico") is read
    with the word whole and the words apart, when the name as printed is no place: the letters
    and their order are the sheet's, so "Indianapolis" never becomes Indiana.
    """
    found = _resolve_words(name)
    if found is None and (mended := _GLUED_WORDS.sub(" ", _SPLIT_WORD.sub("", name))) != name:
        found = _resolve_words(mended)
    return found


def _resolve_words(name: str) -> str | None:
    words = _clean(name).split(" ")
    for n in range(len(words), 0, -1):
        candidate = " ".join(words[:n])
        for form in (candidate, candidate.rstrip(".")):
            if form in _names():
                return _names()[form]
    return None


class UnknownPlace(ValueError):
    """No place has that code or name; the message says so, with the nearest names."""


_NATION_NAMES = {"us", "usa", "u.s.", "united states", "national", "nation", "the nation"}


def place_code(text: str) -> str:
    """A USPS code from a code or a name a person types, in any case ("wi", "Wisconsin", "us",
    "national"): what `ncmec explain` and sources.toml take."""
    import difflib

    name = text.strip()
    if name.upper() in known_geos():
        return name.upper()
    if name.lower() in _NATION_NAMES:
        return NATION
    geo = resolve_place(name)
    if geo:
        return geo
    names = [g.name for g in geos()] + [g.geo for g in geos()]
    near = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(near)}?" if near else " (a USPS code such as WI, or a name such as Wisconsin)"
    raise UnknownPlace(f"unknown place {shortened(repr(text))}{hint}")


def geo_name(code: str) -> str:
    return next((g.name for g in geos() if g.geo == code), code)
