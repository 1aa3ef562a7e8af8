"""Property-based tests (hypothesis).

1. Generated sheets (any place, year, values, sentences left out, cosmetics, encodings) round-trip:
   the extractor gives back exactly the values the sheet was rendered from.
2. Mutated bytes (deletions, truncations, insertions, flips, re-encodings) never raise: each file
   yields values or a rejection with a reason, and validation of a batch of them completes.
"""

from __future__ import annotations

import os

from checking import validated
from conftest import RAW
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from variants.render import NATIONAL, STATE_METRICS, encode, observations, render

from pipelines.core import catalog
from pipelines.extract.sheet import parse_bytes

# CI runs a fixed, reproducible set of examples; a developer's run explores new ones.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

PLACES = [g for g in catalog.geos() if g.kind != "nation"]
# The sentences say "in the District of Columbia"; "the U.S. Virgin Islands" and so on.
ARTICLE = {"DC": "the ", "VI": "the ", "MP": "the "}
NATIONAL_CAP = 4_000  # state values stay below every year's national figure of the same metric


@st.composite
def state_values(draw) -> dict:
    count = st.integers(0, 250_000)
    small = st.integers(0, NATIONAL_CAP)
    maybe = lambda s: draw(st.one_of(st.none(), s) if draw(st.booleans()) else s)  # noqa: E731
    values = {m: maybe(count if m == "cybertipline_reports_to_law_enforcement" else small)
              for m in STATE_METRICS}
    parts = ("missing_from_social_services", "missing_other", "missing_reported_by_hhs_orr")
    if values["missing_child_cases"] is not None:
        for p in parts:
            if values[p] is None and draw(st.booleans()):
                values[p] = draw(small)
        present = [values[p] for p in parts if values[p] is not None]
        values["missing_child_cases"] = sum(present) if present else values["missing_child_cases"]
    else:
        for p in parts:
            values[p] = None
    if all(v is None for v in values.values()):
        values["cybertipline_reports_to_law_enforcement"] = draw(count)
    return values


@st.composite
def sheets(draw):
    geo = draw(st.sampled_from(PLACES))
    year = draw(st.sampled_from(sorted(NATIONAL)))
    values = draw(state_values())
    curly = draw(st.booleans())
    text = render(
        geo.name, year, values, article=ARTICLE.get(geo.geo, ""),
        bold=draw(st.sampled_from(["sentence", "none", "number", "place", "span"])),
        thousands_sep=draw(st.booleans()),
        table_sep=draw(st.sampled_from(["\t", " : ", ": ", ":", "pad", "   ", "\t\t"])),
        ss_facility=draw(st.booleans()),
        hhs_colon=draw(st.booleans()),
        page_break=draw(st.sampled_from(["\n\n", "\n", " ", "\n\f"])),
        wrap=draw(st.one_of(st.none(), st.integers(40, 110))),
        trailing_spaces=draw(st.booleans()),
        curly=curly,
        newline=draw(st.sampled_from(["\n", "\r\n"])),
        leading_blank_lines=draw(st.integers(0, 4)),
        trailing_newline=draw(st.booleans()),
    )
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"] + ([] if curly else ["latin-1"])))
    return geo.geo, year, values, encode(text, encoding), encoding


# Batches are validated (pandera, DuckDB): a few hundred ms each, so fewer examples than the
# parse-only test below, within CI's 10 minutes.
@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(sheets(), min_size=1, max_size=6, unique_by=lambda s: (s[0], s[1])))
def test_generated_sheets_round_trip(batch):
    docs = []
    for i, (geo, year, values, data, encoding) in enumerate(batch):
        doc = parse_bytes(data, f"generated_{i}.txt")
        assert not doc.rejected, (encoding, doc.rejected_reason)
        assert (doc.geo, doc.year) == (geo, year)
        got = sorted((o.geo, o.year, o.metric, o.value, o.qualifier) for o in doc.observations)
        want = sorted((o["geo"], o["year"], o["metric"], float(o["value"]), o["qualifier"])
                      for o in observations(geo, year, values))
        assert got == want, encoding
        for o in doc.observations:
            assert doc.text[o.char_start : o.char_end] == o.evidence
        docs.append(doc)
    # Consistent sheets (sums agree, national figures agree within a year) pass every check.
    frames = validated(docs, "L")
    assert frames.rejections.empty, frames.rejections[["source_file", "metric", "check", "reason"]].to_string()
    assert frames.observations["accepted"].all()


SEED_BYTES = [(RAW / n).read_bytes() for n in ("wisconsin_2023.txt", "illinois_2023.txt")]
KNOWN_CHECKS = {"empty", "binary", "undecodable", "not_a_fact_sheet", "unknown_state", "no_year", "repeated_text"}
PROBLEM_CHECKS = {"breakdown_unreadable", "value_unreadable", "footnote_ambiguous"}


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEED_BYTES)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["delete", "truncate", "insert", "flip", "reencode", "splice"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "delete":
            del data[at : at + draw(st.integers(1, 400))]
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=40))
        elif kind == "flip":
            data[at] = draw(st.integers(0, 255))
        elif kind == "splice":
            other = draw(st.sampled_from(SEED_BYTES))
            data[at:at] = other[: draw(st.integers(0, len(other)))]
        else:
            text = bytes(data).decode("utf-8", errors="replace")
            enc = draw(st.sampled_from(["utf-16", "utf-32", "cp1252", "latin-1", "utf-8-sig"]))
            data = bytearray(text.encode(enc, errors="replace"))
    return bytes(data)


@settings(max_examples=2_000, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_bytes_never_raise(data):
    doc = parse_bytes(data, "mutated.txt")
    if doc.rejected:
        assert doc.rejected_check in KNOWN_CHECKS and doc.rejected_reason
        assert not doc.observations
    else:
        # Values, or values it names as unreadable (a figure cut off mid-sentence, say).
        assert (doc.observations or doc.problems) and doc.geo in catalog.known_geos()
        assert all(p.check in PROBLEM_CHECKS and p.reason and p.evidence for p in doc.problems)
        for o in doc.observations:
            assert doc.text[o.char_start : o.char_end] == o.evidence and o.value >= 0


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutated(), min_size=1, max_size=6))
def test_validation_of_mutated_batches_completes_and_reconciles(batch):
    docs = [parse_bytes(data, f"m{i}.txt") for i, data in enumerate(batch)]
    frames = validated(docs, "L")
    status = frames.documents["status"].value_counts()
    assert status.sum() == len(batch)
    assert set(status.index) <= {"loaded", "duplicate", "rejected"}
    rejected_docs = set(frames.rejections[frames.rejections["metric"].isna()]["source_file"])
    assert rejected_docs == set(frames.documents[frames.documents["status"] == "rejected"]["source_file"])
    assert not frames.facts.duplicated(["geo", "year", "metric"]).any()
