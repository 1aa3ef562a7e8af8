"""Every variant sheet in tests/variants/ gives exactly its expected values and rejections.

Each `<name>.txt` has a `<name>.expected.json` (written by hand or by render.py, never by the
extractor): the complete list of values the sheet states, and what validation of that file alone
must reject. See tests/variants/README.md for what each covers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from checking import validated
from conftest import corpus_doc

VARIANTS = Path(__file__).parent / "variants"
CASES = sorted(p.name.removesuffix(".expected.json") for p in VARIANTS.glob("*.expected.json"))


def _load(name: str):
    expected = json.loads((VARIANTS / f"{name}.expected.json").read_text("utf-8"))
    return expected, corpus_doc(VARIANTS / f"{name}.txt")


def test_corpus_is_broad():
    assert len(CASES) >= 30
    places = {json.loads((VARIANTS / f"{n}.expected.json").read_text())["document"]["geo"] for n in CASES}
    years = {json.loads((VARIANTS / f"{n}.expected.json").read_text())["document"]["year"] for n in CASES}
    assert len(places - {None}) >= 10 and len(years - {None}) >= 3


@pytest.mark.parametrize("name", CASES)
def test_document(name):
    expected, doc = _load(name)
    want = expected["document"]
    assert doc.rejected_check == want["rejected_check"], doc.rejected_reason
    if want["rejected_check"] is None:
        assert (doc.geo, doc.year) == (want["geo"], want["year"])


@pytest.mark.parametrize("name", CASES)
def test_observations(name):
    expected, doc = _load(name)
    got = sorted((o.geo, o.year, o.metric, o.value, o.qualifier) for o in doc.observations)
    want = sorted((o["geo"], o["year"], o["metric"], float(o["value"]), o["qualifier"])
                  for o in expected["observations"])
    assert got == want


@pytest.mark.parametrize("name", CASES)
def test_evidence_is_verbatim(name):
    _, doc = _load(name)
    for o in doc.observations:
        assert doc.text[o.char_start : o.char_end] == o.evidence
        assert o.evidence.strip() == o.evidence and o.evidence


@pytest.mark.parametrize("name", CASES)
def test_rejections(name):
    expected, doc = _load(name)
    frames = validated([doc], "test")
    got = sorted(("" if pd.isna(r.metric) else r.metric, r.check) for r in frames.rejections.itertuples())
    want = sorted((r["metric"] or "", r["check"]) for r in expected["rejections"])
    assert got == want


def test_whole_corpus_with_the_seeds_validates_as_each_file_alone():
    """Across documents (four years, national figures repeated on every sheet, the cumulative
    CVIP total rising) the corpus is consistent: a run over all of it rejects exactly what
    each file's expected rejections list, and every sheet of a year agrees on national facts."""
    from conftest import RAW, SEEDS

    docs = [corpus_doc(VARIANTS / f"{n}.txt") for n in CASES] + [corpus_doc(RAW / n) for n in SEEDS]
    frames = validated(docs, "test")
    got = sorted((r.source_file, "" if pd.isna(r.metric) else r.metric, r.check)
                 for r in frames.rejections.itertuples())
    want = sorted((f"{n}.txt", r["metric"] or "", r["check"]) for n in CASES for r in _load(n)[0]["rejections"])
    assert got == want
    national = frames.facts[frames.facts["geo"] == "US"]
    assert set(national["year"]) == {2021, 2022, 2023, 2024}
    assert (national.groupby("year").size() == 9).all()
    status = dict(zip(frames.documents["source_file"], frames.documents["status"], strict=True))
    for n in CASES:
        rejected = _load(n)[0]["document"]["rejected_check"] is not None
        assert status[f"{n}.txt"] == ("rejected" if rejected else "loaded"), n
