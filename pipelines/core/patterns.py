"""The catalog's pattern mini-language (catalog.toml), compiled: {Q} a qualifier phrase, {N} a
number, {PCT} a percentage, {PLACE} a place name; a space a run of white space, " ?" an optional
one. Each pattern compiles twice: for the normalised text, and for its skeleton (white space
between letters taken out, pipelines/read/normalise.py)."""

from __future__ import annotations

import re

# Small number words, since a sheet may spell out a singular figure ("one case").
NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}
SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}

# A place name token: a capitalised word ("Wisconsin", "Hawai'i") or initials ("U.S.", "D.C.").
# Matched case-sensitively so that a lowercase word ("law enforcement") ends the name.
_PLACE_TOKEN = r"(?-i:(?:[A-Z]\.)+|[A-Z][A-Za-z'-]*[a-z])"
_PLACE = (
    rf"(?:the )?(?P<place>{_PLACE_TOKEN}(?:(?:,? | of (?:the )?){_PLACE_TOKEN})*)"
)
# The first alternative takes digit groups set apart by a space ("9 120": a thin space that the
# exporter printed as a space, or two numbers side by side), the last a figure that is not
# well-formed ("27,1303": a footnote digit stuck to 27,130), so that the extractor can reject
# them by name rather than read the last group or miss the figure. No figure starts after a digit
# and a space: "8 , 4 6 8" (letter-spaced) holds no 8.
_NUMBER = (
    r"(?<!\d\s)(?P<num>\d{1,3}(?: \d{3})+(?![\d,])|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
    + "|".join(NUMBER_WORDS)
    + r"|\d[\d,]*\d)(?: (?P<scale>" + "|".join(SCALES) + r"))?\b"
)
_PERCENT = r"(?P<num>\d+(?:\.\d+)?) ?(?:%|percent\b)"
# The same, for the skeleton of a sheet (pipelines/read/normalise.py: white space between two
# letters taken out, so "weremade" and "r eviewed" read as "were made" and "reviewed"): a figure
# cannot start inside another ("2023,846" is no 23,846) or after a digit and a space (a letter-spaced
# "8 , 4 6 8" holds no 8), and ends before a digit rather than at a
# word boundary ("24,100children"). White space kept between digit groups still stands between
# them, so "2 316" is never 2316.
_SKELETON_NUMBER = ("(?<![\\d.,])" + _NUMBER.removesuffix(r"\b").replace("(?: \\d", r"(?:\s\d")
                    .replace("(?: (?P<scale>", r"(?:\s?(?P<scale>") + r"(?!\d)")
_SKELETON_PERCENT = r"(?<![\d.,])(?<!\d\s)(?P<num>\d+(?:\.\d+)?)\s?(?:%|percent)"
# A place name glued to the words around it ("inNewMexico.", "fromNorthCarolinalaw"): the letters
# up to the pattern's next words; catalog.resolve_place reads the name from the sheet's own text.
_SKELETON_TOKEN = r"(?:[A-Z]\.)+|[A-Z][A-Za-z'-]*"  # initials, or capitalised words glued
_SKELETON_PLACE = rf"(?:the)?(?P<place>(?-i:(?:{_SKELETON_TOKEN})(?:,?\s?(?:{_SKELETON_TOKEN}))*))"


def compile_pattern(pattern: str, qualifiers: dict[str, str], skeleton: bool = False) -> re.Pattern[str]:
    qual_alt = "|".join(
        q.replace(" ", r"\s+") for q in sorted(qualifiers, key=len, reverse=True)
    )
    if skeleton:
        glued = "|".join(q.replace(" ", r"\s?") for q in sorted(qualifiers, key=len, reverse=True))
        # A skeleton keeps one white space character at most, and none between letters; its
        # words may be glued to the one before, so a match need not start a word.
        body = (pattern.replace(" ?", " ").replace(" ", r"\s?")
                .replace("{Q}", rf"(?:(?P<qual>{glued})\s?)?")
                .replace("{N}", _SKELETON_NUMBER).replace("{PCT}", _SKELETON_PERCENT)
                .replace("{PLACE}", _SKELETON_PLACE))
        return re.compile(body, re.IGNORECASE)
    body = (
        pattern.replace("{Q}", rf"(?:(?P<qual>{qual_alt}) )?")
        .replace("{N}", _NUMBER)
        .replace("{PCT}", _PERCENT)
        .replace("{PLACE}", _PLACE)
    )
    # Sheets wrap lines anywhere: a space in a pattern stands for a run of white space, and
    # " ?" for an optional one. (So patterns keep spaces out of character classes.)
    body = body.replace(" ?", r"\s*").replace(" ", r"\s+")
    # Every match starts a word; saying so spares the engine trying the leading alternations
    # at each character (it made patterns that begin with {Q}{N} ten times slower).
    return re.compile(r"\b" + body, re.IGNORECASE)


def _own_words(part: str) -> list[str]:
    """The words of three letters or more a part of a pattern holds outside its groups."""
    return re.findall(r"(?<![(?:\\])\b[A-Za-z]{3,}\b", re.sub(r"\(\?:[^)]*\)", "", part))


def tail_of(pattern: str) -> str | None:
    """A pattern's words after its figure, when they hold five words of their own ("CyberTipline
    reports were made available to law enforcement in {PLACE}"; not "reports of child sex
    trafficking", which other sentences of a sheet hold too)."""
    mark = next((m for m in ("{N}", "{PCT}") if m in pattern), None)
    if mark is None:
        return None
    tail = pattern.split(mark, 1)[1].lstrip(" ?")
    return tail if len(_own_words(tail.split("{PLACE}")[0])) >= 5 else None


def lead_of(pattern: str) -> str | None:
    """A pattern's words up to and including its figure, when they hold two words of their own
    ("NCMEC reviewed {Q}{N}"; not "including {Q}{N}", which several sentences share)."""
    if "{N}" not in pattern or "{PLACE}" in pattern.split("{N}")[0]:
        return None
    head = pattern.split("{N}")[0]
    return head + "{N}" if len(_own_words(head)) >= 2 else None
