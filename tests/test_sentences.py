"""Sentences: which sentences cover a figure's match (its evidence)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipelines.extract.sentences import Sentences


@given(st.lists(st.integers(0, 60), min_size=0, max_size=20, unique=True), st.integers(0, 70), st.integers(0, 70))
def test_the_sentences_covering_a_span_are_those_a_linear_search_finds(cuts, start, length):
    cuts = sorted(cuts)
    spans = [(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False)]  # sorted, apart
    end = start + length
    first = next((a for a, b in spans if a <= start < b), start)
    last = next((b for a, b in spans if a < end <= b), end)
    assert Sentences(spans).covering(start, end) == (first, last)
