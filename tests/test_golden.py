"""The two real sheets: exact values, qualifiers, units and verbatim evidence (tests/golden/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import RAW, SEEDS, SHARED_SEEDS

from pipelines.extract.sheet import parse_file

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_raw_holds_the_real_seeds(name):
    if not SHARED_SEEDS.is_dir():
        pytest.skip("../shared/seeds is not beside this checkout")
    assert (RAW / name).read_bytes() == (SHARED_SEEDS / SEEDS[name]).read_bytes()


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_matches_golden(name):
    golden = json.loads((GOLDEN / name.replace(".txt", ".json")).read_text("utf-8"))
    doc = parse_file(RAW / name)
    assert not doc.rejected, doc.rejected_reason
    assert (doc.geo, doc.year) == (golden["geo"], golden["year"])
    got = [dict(geo=o.geo, metric=o.metric, value=o.value, qualifier=o.qualifier, unit=o.unit,
                evidence=o.evidence) for o in doc.observations]
    assert sorted(got, key=repr) == sorted(golden["observations"], key=repr)
    for o in doc.observations:
        assert doc.text[o.char_start : o.char_end] == o.evidence
        assert o.year == 2023


def test_every_catalog_metric_is_in_each_seed():
    from pipelines.core import catalog

    for name in SEEDS:
        doc = parse_file(RAW / name)
        got = {(o.metric, catalog.scope_of(o.geo)) for o in doc.observations}
        assert got == set(catalog.metric_index())
