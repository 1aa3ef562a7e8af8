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
from pipelines.read.textmap import Mapped

# Letters, digits and the punctuation the patterns name; white space str.split() knows (the line
# break, the ASCII separators \x1c-\x1f, a no-break space); letters and digits outside ASCII,
# the Kelvin sign (which re.IGNORECASE matches to "k") and an Arabic-Indic digit (which \d matches).
_CHARS = "aZcC1903)%.[]-(©ypoightr \t\r\x0b\x0c\x1c\x1f\u00a0é\u212a\u0663"
_WORDS = ["Copyright", "(c) 2024", "- 2 -", "12", "#", "a#b", "a1b", "Page 3 of 4", "reports1", "cases[2]",
          "Wisconsin.4", "29.3 million", "U.S.1", "Services30Other",
          "National Center for Missing & Exploited Children", "Ohio Data 2023"]
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


class _Always:
    """A hint that lets every pattern run: what the step does without its test."""

    def may_hold(self, text: str) -> bool:
        return True


def _markers_taken_off(text: str) -> tuple[str, set[int], set[int]]:
    out, notes = footnotes.strip_footnote_markers(Mapped(text))
    return out.text, notes.defined, notes.referenced


@settings(max_examples=500)
@given(texts)
def test_no_glued_marker_is_taken_off_where_the_hint_finds_none(text):
    """Where the hint says no, the footnote step gives what it gives with no hint at all (a match
    such as "29.3" is left as it is, so the hint need not find it)."""
    if not footnotes._GLUED_HINT.may_hold(text):
        hinted = _markers_taken_off(text)
        real, footnotes._GLUED_HINT = footnotes._GLUED_HINT, _Always()
        try:
            assert _markers_taken_off(text) == hinted
        finally:
            footnotes._GLUED_HINT = real


@settings(max_examples=500)
@given(texts)
def test_no_repeated_shape_where_no_line_may_repeat(text):
    if not furniture._may_repeat(text):
        shapes = Counter(" ".join(line.split()) for line in furniture._DIGITS.sub("#", text).split("\n"))
        assert all(n == 1 for shape, n in shapes.items() if furniture._furniture_like(shape)), shapes


@settings(max_examples=500)
@given(texts)
def test_no_furniture_line_where_its_hint_finds_none(text):
    if not furniture._holds(furniture.anchors.fold(text), *furniture._COPYRIGHT_WORDS):
        assert furniture._COPYRIGHT.search(text) is None
    if not furniture._DASHED_HINT.search(text):
        assert furniture._DASHED_PAGE.search(text) is None
    if not furniture._LONE_HINT.search(f"\n{text}"):
        assert furniture._LONE_NUMBER.search(text) is None


def test_every_short_text_of_the_classes():
    """Exhaustively, every text of up to three of the characters the tests tell apart."""
    marked = [a + m + b for a in _ONE for b in _ONE for m in ("[1]", ".1", "a.1", "Z.1")]  # markers
    for text in ["", *_ONE, *_PAIRS, *(a + b for a in _ONE for b in _PAIRS), *marked]:
        test_the_seam_test_agrees_with_the_seam_pattern.hypothesis.inner_test(text)
        test_no_glued_marker_is_taken_off_where_the_hint_finds_none.hypothesis.inner_test(text)


@settings(max_examples=500)
@given(st.lists(st.sampled_from(["a", "Z", "-", "\u00ad", " ", "\t", "\n", "x-", "-\n", "word"]), max_size=12)
       .map("".join))
def test_no_broken_word_where_no_hyphen_ends_a_line(text):
    if text.isascii() and not normalise._HYPHEN_AT_BREAK.search(text):
        assert normalise._BROKEN_WORD.search(text) is None


def test_lines_of_one_shape_are_found_to_repeat():
    """Lines whose shapes are the same though their characters differ: digits against digits or a
    "#", white space of another kind or length."""
    for lines in (["Page 1 of 3", "Page 2 of 3"], ["ab#cd", "ab1cd"], ["ab 12 cd", "ab\t3 cd "], ["ab\x1ccd", "ab cd"]):
        assert furniture._may_repeat("\n".join(["", *lines, ""]))
