"""Sentences: which sentences cover a figure's match (its evidence)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from pipelines.extract import sentences
from pipelines.extract.sentences import Sentences, sentence_spans, sentence_year, sentence_years


@given(st.lists(st.integers(0, 60), min_size=0, max_size=20, unique=True), st.integers(0, 70), st.integers(0, 70))
def test_the_sentences_covering_a_span_are_those_a_linear_search_finds(cuts, start, length):
    cuts = sorted(cuts)
    spans = [(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False)]  # sorted, apart
    end = start + length
    first = next((a for a, b in spans if a <= start < b), start)
    last = next((b for a, b in spans if a < end <= b), end)
    assert Sentences(spans).covering(start, end) == (first, last)


_YEAR_WORDS = ["In", "in", "2023", "1999", "In2020", "x", ".", " ", "\n", "In\n2021", ",", "U.S.", "In 2022,", "2024."]


@given(st.lists(st.tuples(st.sampled_from(_YEAR_WORDS), st.sampled_from([" ", "", "\n", ". ", ": "])), max_size=14))
def test_sentence_years_in_one_pass_are_each_sentences_own(parts):
    text = "".join(word + sep for word, sep in parts)
    spans = sentence_spans(text)
    assert sentence_years(text, spans) == [y for a, b in spans if (y := sentence_year(text[a:b])) is not None]


# The boundary as first written, one position at a time (the look-ahead at every character): the
# reference the scanned-for form in sentences.py must agree with.
_REFERENCE_BOUNDARY = re.compile(r"(?=[\"') \]\n])(?:(?<=[.!?])[\"')\]]*(?P<gap> )(?=[\"'(\[]*[A-Z0-9])"
                                 r"|(?<=:)(?P<colon> )(?=[A-Z])|(?P<para>\n)(?![a-z]))")
_BOUNDARY_PIECES = [".", "!", "?", ":", " ", "\n", '"', "'", ")", "]", "(", "[", "A", "a", "1", "U.S.", "St.", '.")']


@given(st.lists(st.sampled_from(_BOUNDARY_PIECES), max_size=16).map("".join))
def test_sentence_boundaries_are_the_reference_ones(text):
    # The same ends and kinds; a gap's match starts one character sooner, at its full stop.
    found = [(m.end(), m.group("gap"), m.start() + 1 if m.group("gap") else None)
             for m in sentences._BOUNDARY.finditer(text)]
    assert found == [(m.end(), m.group("gap"), m.start() if m.group("gap") else None)
                     for m in _REFERENCE_BOUNDARY.finditer(text)]
