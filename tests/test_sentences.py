"""Sentences: which sentences cover a figure's match (its evidence)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

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
