"""Sheets however they were extracted (issue 20): words glued or split by the extractor, and
what must never come of it. The real tools' output of each kind is in tests/exporters/third/;
these edit the real Wisconsin sheet the way those tools do, one kind at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.core import catalog
from pipelines.extract.sheet import parse_bytes

SEED = (Path(__file__).resolve().parents[1] / "raw" / "wisconsin_2023.txt").read_text("utf-8")


def _values(text: str) -> dict[tuple[str, str], tuple[float, str]]:
    doc = parse_bytes(text.encode(), "edited.txt")
    assert doc.rejected_check is None, doc.rejected_reason
    return {(o.geo, o.metric): (o.value, o.qualifier) for o in doc.observations}


def _problems(text: str) -> dict[tuple[str, str], str]:
    return {(p.geo, p.metric): p.check for p in parse_bytes(text.encode(), "edited.txt").problems}


ORIGINAL = _values(SEED)


@pytest.mark.parametrize(("printed", "glued", "key"), [
    # Ghostscript's txtwrite and pypdf on a Ghostscript PDF drop the space between text runs.
    ("NCMEC received more than 18,400", "NCMEC receivedmore than 18,400", ("US", "cst_reports_received")),
    ("had more than 18,000 registered", "had more than18,000 registered", ("US", "connect_registered_users")),
    ("reports were made available", "reports weremade available", ("WI", "cybertipline_reports_to_law_enforcement")),
    ("27,130 children", "27,130children", ("US", "cvip_children_identified_cumulative")),
    ("received 36.2 million reports", "received36.2millionreports", ("US", "cybertipline_reports_received")),
    # groff's kerning and pdfminer's tight word margin put a space inside a word.
    ("NCMEC reviewed 155", "NCMEC r eviewed 155", ("WI", "cvip_submissions_reviewed")),
    ("Team HOPE supported 5,759", "T eam HOPE supported 5,759", ("US", "team_hope_families_supported")),
    ("70 survivors/families in Wisconsin", "70 sur vivors/families in Wiscon sin",
     ("WI", "team_hope_families_supported")),
])
def test_a_figure_reads_the_same_with_its_words_glued_or_split(printed, glued, key):
    assert printed in SEED
    assert _values(SEED.replace(printed, glued, 1))[key] == ORIGINAL[key]


def test_a_place_name_glued_or_split_is_the_place_it_spells():
    text = SEED.replace("law enforcement in Wisconsin.", "lawenforcement inWisconsin.", 1)
    assert _values(text)["WI", "cybertipline_reports_to_law_enforcement"] == (8468.0, "exact")
    assert catalog.resolve_place("NewMexico") == catalog.resolve_place("New Mex ico") == "NM"
    assert catalog.resolve_place("North Car olina") == "NC"


def test_a_glued_name_that_spells_no_place_is_no_place():
    """Letters are never read as another place: "Indianapolis" is not Indiana, and a sentence
    naming no known place is no observation of a new one (the geo check rejects it)."""
    assert catalog.resolve_place("Indianapolis") is None
    text = SEED.replace("law enforcement in Wisconsin.", "law enforcement inAtlantisCity.", 1)
    values = _values(text)
    assert ("WI", "cybertipline_reports_to_law_enforcement") not in values
    assert set(values) - set(ORIGINAL) == {("AtlantisCity", "cybertipline_reports_to_law_enforcement")}


@pytest.mark.parametrize("glued", [
    "In 2023,8,468 CyberTipline reports",  # the space after the year's comma dropped
    "In 2023, 8 468 CyberTipline reports",  # digit groups set apart: one figure, or two numbers
])
def test_digits_are_never_joined_across_what_separates_them(glued):
    text = SEED.replace("In 2023, 8,468 CyberTipline reports", glued, 1)
    key = ("WI", "cybertipline_reports_to_law_enforcement")
    assert key not in _values(text)
    assert _problems(text)[key] == "value_unreadable"
