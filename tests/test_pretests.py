"""The tests in C that let a normalising step or the table reader skip a pattern are exact: where
a test says a text cannot hold a match, the pattern finds none (hypothesis, over texts made of
the characters those patterns turn on, white space of every kind and characters outside ASCII).
"""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.extract import cells
from pipelines.read import footnotes, furniture, normalise

# Letters, digits and the punctuation the patterns name; white space str.split() knows (the line
# break, the ASCII separators \x1c-\x1f, a no-break space); letters and digits outside ASCII,
# the Kelvin sign (which re.IGNORECASE matches to "k") and an Arabic-Indic digit (which \d matches).
_CHARS = "aZcC1903)%.[]-(©ypoightr \t\r\x0b\x0c\x1c\x1f\u00a0é\u212a\u0663"
_WORDS = ["Copyright", "(c) 2024", "- 2 -", "12", "#", "a#b", "a1b", "Page 3 of 4", "reports1", "cases[2]",
          "Services30Other", "National Center for Missing & Exploited Children", "Ohio Data 2023"]
_ONE = "aZ1)%.[ \u00e9\u0663\u212a"
_PAIRS = [a + b for a in _ONE for b in _ONE]  # every pair of the classes the tests tell apart
_piece = st.one_of(st.text(_CHARS, max_size=6), st.sampled_from(_WORDS), st.sampled_from(_PAIRS))
_line = st.lists(_piece, max_size=5).map(" ".join)
texts = st.one_of(st.text(_CHARS + "\n", max_size=60),
                  st.lists(_line, max_size=8).map("\n".join),
                  st.lists(st.sampled_from(["", " ", "a  b 1", "a b\t2", "x", " a b 3 "]), max_size=8).map("\n".join))


@settings(max_examples=500)
@given(texts)
def test_the_seam_test_agrees_with_the_seam_pattern(text):
    assert cells.has_seam(text) == (cells._SEAM.search(text) is not None)


@settings(max_examples=500)
@given(texts)
def test_no_glued_marker_where_the_hint_finds_none(text):
    if not footnotes._GLUED_HINT.may_hold(text):
        assert footnotes._GLUED.search(text) is None


@settings(max_examples=500)
@given(texts)
def test_no_repeated_shape_where_no_line_may_repeat(text):
    if not furniture._may_repeat(text):
        shapes = Counter(" ".join(line.split()) for line in furniture._DIGITS.sub("#", text).split("\n"))
        assert all(n == 1 for shape, n in shapes.items() if shape), shapes


@settings(max_examples=500)
@given(texts)
def test_no_furniture_line_where_its_hint_finds_none(text):
    if not furniture._holds(text, "copyright", "(c)"):
        assert furniture._COPYRIGHT.search(text) is None
    if not furniture._DASHED_HINT.search(text):
        assert furniture._DASHED_PAGE.search(text) is None
    if not furniture._LONE_HINT.search(f"\n{text}"):
        assert furniture._LONE_NUMBER.search(text) is None


def test_every_short_text_of_the_classes():
    """Exhaustively, every text of up to three of the characters the tests tell apart."""
    marked = [a + "[1]" + b for a in _ONE for b in _ONE]  # a bracketed marker
    for text in ["", *_ONE, *_PAIRS, *(a + b for a in _ONE for b in _PAIRS), *marked]:
        test_the_seam_test_agrees_with_the_seam_pattern.hypothesis.inner_test(text)
        test_no_glued_marker_where_the_hint_finds_none.hypothesis.inner_test(text)


@settings(max_examples=500)
@given(st.lists(st.sampled_from(["a", "Z", "-", "\u00ad", " ", "\t", "\n", "x-", "-\n", "word"]), max_size=12)
       .map("".join))
def test_no_broken_word_where_no_hyphen_ends_a_line(text):
    if text.isascii() and not normalise._HYPHEN_AT_BREAK.search(text):
        assert normalise._BROKEN_WORD.search(text) is None


def test_lines_of_one_shape_are_found_to_repeat():
    """Lines whose shapes are the same though their characters differ: digits against digits or a
    "#", white space of another kind or length."""
    for lines in (["Page 1 of 3", "Page 2 of 3"], ["a#b", "a1b"], ["a 12 b", "a\t3 b "], ["x\x1cy", "x y"]):
        assert furniture._may_repeat("\n".join(["", *lines, ""]))
