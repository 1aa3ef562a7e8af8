"""Anchored search (pipelines/core/anchors.py) finds exactly what the plain pattern finds.

Skipping the positions where no match can start is only worth it if it never changes a match:
generated texts made of the sheets' own words, figures, qualifiers and the characters that stop
a head (and the case forms that would fool a lowercase search) are searched both ways.
"""

from __future__ import annotations

import re

import pytest
from conftest import RAW
from hypothesis import given
from hypothesis import strategies as st

from pipelines.core import anchors, catalog
from pipelines.extract import breakdown, title
from pipelines.read import furniture

FINDERS = [a for m in catalog.metrics() for a in (*m.anchored, *filter(None, [m.label_anchored]))] + [
    title._TITLE, title._LISTED, title._DATA_YEAR, furniture._PAGE_NUMBER]
SHEETS = [p.read_text("utf-8") for p in sorted(RAW.glob("*.txt"))]
WORDS = sorted({w for text in SHEETS for w in re.findall(r"\S+", text)} | set(catalog.load_catalog()[1])
               | set(catalog.NUMBER_WORDS) | set(catalog.SCALES))
SENTENCES = sorted({s for text in SHEETS for s in re.split(r"(?<=\.) ", " ".join(text.split()))})
PIECES = st.one_of(
    st.sampled_from(SENTENCES),
    st.sampled_from(WORDS),
    st.integers(0, 10**7).map(lambda n: f"{n:,}"),
    st.sampled_from([" ", "  ", "\n", ". ", ", ", ": ", "%", "(", ")", "-", "/", "1.5", "9 120", "27,1303",
                     "\u212a", "\u017f", "\u0130", "\u00e9", "CYBERTIPLINE", "cybertipline",
                     "Other Missing Children Cases", "Children Missing From Social Services", "(HHS-ORR)",
                     "Office of Refugee Resettlement", "Page 2 of 3", "PAGE", "page 12", "Listed below are the",
                     "Missing and Exploited Children", "Data", "specific statistics"]),
)


def test_every_sentence_pattern_has_an_anchor():
    assert all(a.anchor for a in FINDERS)


def test_a_lead_word_only_where_every_match_starts_with_it():
    assert title._TITLE.lead == "missing" and furniture._PAGE_NUMBER.lead == "page"
    assert anchors.compile("Page|Folio").lead is None and not anchors.compile("Page|Folio").anchors
    assert anchors.compile(r"(?:about )?Page \d").lead is None


def test_case_twins_are_every_character_that_matches_an_ascii_letter():
    letter = re.compile("[a-z]", re.IGNORECASE)
    twins = {chr(c) for c in range(0x80, 0x110000) if letter.fullmatch(chr(c))}
    assert twins == anchors.CASE_TWINS


def test_fold_refuses_text_where_a_lowercase_find_would_miss_a_match():
    assert anchors.fold("NCMEC Reviewed") == "ncmec reviewed"
    assert anchors.fold("Caf\u00e9 NCMEC") == "caf\u00e9 ncmec"
    assert anchors.fold("\u212aansas") is None  # the Kelvin sign matches "k" when case is ignored
    assert anchors.fold("\u0130llinois") is None  # lowercases to two characters


def test_a_head_with_a_place_name_gives_no_barrier():
    pattern = re.compile(r"\bfrom\s+[A-Z]\w+\s+law", re.IGNORECASE)
    assert anchors.anchored("from {PLACE} law", pattern).anchor == "from"
    assert anchors.anchored("{PLACE} reported", pattern).anchor is None


@pytest.mark.parametrize("text", SHEETS + [s.replace(",", "") for s in SHEETS] + [s.upper() for s in SHEETS])
def test_the_seeds_give_the_same_matches(text):
    folded = anchors.fold(" ".join(text.split()))
    flat = " ".join(text.split())
    for finder in FINDERS:
        assert [m.span() for m in finder.finditer(flat, folded)] == [m.span() for m in finder.pattern.finditer(flat)]


@given(st.lists(PIECES, min_size=0, max_size=80).map(" ".join))
def test_generated_text_gives_the_same_matches(text):
    folded = anchors.fold(text)
    for finder in FINDERS:
        got = finder.search(text, folded)
        want = finder.pattern.search(text)
        assert (got and (got.span(), got.groupdict())) == (want and (want.span(), want.groupdict()))
        assert [m.span() for m in finder.finditer(text, folded)] == [m.span() for m in finder.pattern.finditer(text)]


@given(st.lists(PIECES, min_size=0, max_size=80).map(" ".join), st.integers(0, 2000))
def test_the_first_table_label_is_the_same(text, after):
    starts = [m.start() for m in breakdown._any_label().finditer(text)]
    want = next((s for s in starts if s >= after), starts[0]) if starts else None
    assert breakdown._first_label(text, after) == want
