"""The catalog is the contract's catalog: the same metrics, scopes and units as DESIGN.md."""

from __future__ import annotations

import re

import pytest
from conftest import RAW, REPO

from pipelines.core import catalog
from pipelines.extract.sheet import parse_bytes
from pipelines.read.normalise import LIGATURE_WORDS, normalise

DESIGN = REPO.parent / "shared" / "DESIGN.md"


def _design_catalog() -> set[tuple[str, str, str]]:
    text = DESIGN.read_text("utf-8")
    found = set()
    for scope, heading in (("state", "State scope"), ("national", "National scope")):
        section = text.split(heading, 1)[1].split("\n\n", 2)[1]
        for metric, unit in re.findall(r"^\| `(\w+)` \| (\w+) \|", section, re.M):
            found.add((metric, scope, unit))
    return found


def test_catalog_matches_design():
    if not DESIGN.exists():
        pytest.skip("../shared/DESIGN.md is not beside this checkout")
    ours = {(m.metric, m.scope, m.unit) for m in catalog.metrics()}
    assert ours == _design_catalog()


def test_catalog_counts():
    scopes = [m.scope for m in catalog.metrics()]
    assert scopes.count("state") == 11 and scopes.count("national") == 9


def test_about_says_of_each_metric_what_the_compiled_catalog_says():
    """catalog.about() reads the same entries without compiling their patterns (for explain)."""
    about = catalog.about()
    assert list(about) == [(m.metric, m.scope) for m in catalog.metrics()]
    for m in catalog.metrics():
        a = about[m.metric, m.scope]
        assert (a.program, a.unit, a.description, a.title, a.caveat) == (m.program, m.unit, m.description, m.title,
                                                                          m.caveat)
        assert a.row == (m.label is not None)
    assert catalog.breakdown_rows() == tuple(m.metric for m in catalog.metrics() if m.label)


def test_catalog_examples_match_their_own_patterns():
    """Each metric's example sentence (from the Wisconsin sheet) is found by its patterns; each
    table row's example starts with its label."""
    for m in catalog.metrics():
        if m.label is not None:
            assert not m.patterns and m.label.match(m.example), m.metric
        else:
            assert any(p.search(m.example) for p in m.patterns), m.metric


def test_each_metric_has_a_mention_its_example_holds():
    for m in catalog.metrics():
        assert any(p.search(normalise(m.example).skeleton.text) for p in m.mentions), m.metric


@pytest.mark.parametrize("seed", sorted(p.name for p in RAW.glob("*.txt")))
def test_a_mention_is_in_no_other_sentence_of_a_real_sheet(seed):
    """A mention names a figure as lost: in the real sheets it is only ever inside the evidence
    of its own metric (the sentence or the row), so that no other sentence names it."""
    text = (RAW / seed).read_text("utf-8")
    skeleton = normalise(text).skeleton
    doc = parse_bytes(text.encode(), seed)
    evidence = {(o.metric, catalog.scope_of(o.geo)): (o.char_start, o.char_end) for o in doc.observations}
    for m in catalog.metrics():
        for pattern in m.mentions:
            for found in pattern.finditer(skeleton.text):
                start, end = skeleton.span_in(None, *found.span())
                lo, hi = evidence[m.metric, m.scope]
                assert lo <= start and end <= hi, (m.metric, found.group())


def test_the_ligature_words_are_those_of_the_catalog():
    """The words a lost ligature is repaired in (pipelines/read/normalise.py) are the catalog's
    own words that hold one: in its patterns, labels, mentions and captions."""
    raw = catalog._raw()["metric"]
    sources = " ".join(str(e.get(k, "")) for e in raw for k in ("patterns", "label", "mentions", "caption"))
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", sources) if re.search("ff|fi|fl", w, re.IGNORECASE)}
    assert set(LIGATURE_WORDS) == words | {"specific"}, words  # "specific": the title (extract/title.py)


@pytest.mark.parametrize(
    "name, code",
    [("Wisconsin", "WI"), ("the District of Columbia", "DC"), ("District of Columbia", "DC"),
     ("New Hampshire", "NH"), ("U.S. Virgin Islands", "VI"), ("Puerto Rico", "PR"),
     ("Northern Mariana Islands", "MP"), ("Washington, D.C.", "DC"), ("Washington", "WA"),
     ("Wisconsin In", "WI"), ("West Virginia", "WV"), ("Atlantis", None), ("In", None), ("", None)],
)
def test_resolve_place(name, code):
    assert catalog.resolve_place(name) == code


def test_geos_cover_states_dc_territories_and_nation():
    kinds = [g.kind for g in catalog.geos()]
    assert kinds.count("state") == 50 and kinds.count("district") == 1
    assert kinds.count("territory") == 5 and kinds.count("nation") == 1
    assert {g.geo: g.fips for g in catalog.geos()}["WI"] == "55"


@pytest.mark.parametrize(
    "phrase, scale, expected",
    [(None, False, "exact"), (None, True, "approximate"), ("more than", True, "at_least"),
     ("nearly", True, "at_most"), ("Over", False, "at_least"), ("fewer  than", False, "at_most")],
)
def test_qualifier(phrase, scale, expected):
    assert catalog.qualifier_for(phrase, scale) == expected
