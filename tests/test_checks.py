"""The checks of DESIGN.md, each shown to reject what it must (and only that)."""

from __future__ import annotations

from checking import validated
from conftest import RAW

from pipelines.core.documents import Observation, ParsedDocument
from pipelines.extract.sheet import parse_bytes

WI = (RAW / "wisconsin_2023.txt").read_text("utf-8")
IL = (RAW / "illinois_2023.txt").read_text("utf-8")
MN = WI.replace("Wisconsin", "Minnesota")


def doc(text: str, name: str, *edits: tuple[str, str]) -> ParsedDocument:
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return parse_bytes(text.encode("utf-8"), name)


def rejected(frames, check: str) -> set[tuple[str, str]]:
    r = frames.rejections
    return {(f, m)
            for f, m in zip(r[r["check"] == check]["source_file"], r[r["check"] == check]["metric"], strict=True)}


def fact(frames, geo: str, metric: str, year: int = 2023):
    f = frames.facts
    hit = f[(f["geo"] == geo) & (f["metric"] == metric) & (f["year"] == year)]
    return None if hit.empty else hit.iloc[0]


def test_clean_seeds_give_31_facts_and_no_rejections():
    frames = validated([doc(WI, "wi.txt"), doc(IL, "il.txt")], "L")
    assert len(frames.facts) == 31 and frames.rejections.empty
    assert frames.observations["accepted"].all()
    national = frames.facts[frames.facts["geo"] == "US"]
    assert len(national) == 9 and (national["n_sources"] == 2).all()


def test_national_majority_wins_and_dissenter_is_rejected():
    frames = validated(
        [doc(WI, "wi.txt"), doc(IL, "il.txt"), doc(MN, "mn.txt", ("27,130", "27,131"))], "L"
    )
    f = fact(frames, "US", "cvip_children_identified_cumulative")
    assert f.value == 27130 and f.n_sources == 2
    assert rejected(frames, "national_agrees") == {("mn.txt", "cvip_children_identified_cumulative")}
    reason = frames.rejections["reason"].iloc[0]
    assert "27,131" in reason and "27,130" in reason and "il.txt" in reason and "wi.txt" in reason


def test_national_tie_is_a_conflict_with_no_fact():
    frames = validated([doc(WI, "wi.txt"), doc(IL, "il.txt", ("28,886", "28,887"))], "L")
    assert fact(frames, "US", "missing_child_cases") is None
    assert rejected(frames, "national_agrees") == {("wi.txt", "missing_child_cases"), ("il.txt", "missing_child_cases")}
    assert all("il.txt" in r and "wi.txt" in r for r in frames.rejections["reason"])


def test_same_state_key_from_two_documents_must_agree():
    frames = validated([doc(WI, "a/wi.txt"), doc(WI, "b/wi_revised.txt", ("8,468", "8,470"))], "L")
    assert fact(frames, "WI", "cybertipline_reports_to_law_enforcement") is None
    assert rejected(frames, "sources_agree") == {
        ("a/wi.txt", "cybertipline_reports_to_law_enforcement"),
        ("b/wi_revised.txt", "cybertipline_reports_to_law_enforcement"),
    }
    assert fact(frames, "WI", "cvip_submissions_reviewed").n_sources == 2


def test_byte_identical_copy_never_doubles_anything():
    frames = validated([doc(WI, "wi.txt"), doc(WI, "copy/wi.txt")], "L")
    status = dict(zip(frames.documents["source_file"], frames.documents["status"], strict=True))
    assert status == {"copy/wi.txt": "loaded", "wi.txt": "duplicate"}
    assert len(frames.observations) == 20 and (frames.facts["n_sources"] == 1).all()


def test_cumulative_cvip_total_never_falls():
    sheet_2022 = doc(MN, "mn_2022.txt", ("In 2023", "In 2022"), ("27,130", "28,000"))
    frames = validated([doc(WI, "wi.txt"), sheet_2022], "L")
    assert fact(frames, "US", "cvip_children_identified_cumulative", 2022).value == 28000
    assert fact(frames, "US", "cvip_children_identified_cumulative", 2023) is None
    assert rejected(frames, "cvip_cumulative_non_decreasing") == {("wi.txt", "cvip_children_identified_cumulative")}


def test_breakdown_must_sum_to_total():
    frames = validated([doc(WI, "wi.txt", ("Cases\t62", "Cases\t63"))], "L")
    assert {m for _, m in rejected(frames, "breakdown_sums")} == {
        "missing_child_cases", "missing_from_social_services", "missing_other", "missing_reported_by_hhs_orr"}
    assert "205" in frames.rejections["reason"].iloc[0] and "204" in frames.rejections["reason"].iloc[0]
    assert fact(frames, "WI", "missing_child_cases") is None
    assert fact(frames, "WI", "cybertipline_reports_to_law_enforcement").value == 8468


def test_sentence_year_and_place_must_match_the_sheet():
    frames = validated([doc(WI, "wi.txt", ("In 2023, NCMEC connected", "In 2022, NCMEC connected"),
                               ("engagements with Wisconsin", "engagements with Iowa"))], "L")
    assert rejected(frames, "year_matches_sheet") == {("wi.txt", "faon_mental_health_connections")}
    assert rejected(frames, "place_matches_sheet") == {("wi.txt", "cst_social_service_engagements")}
    reasons = " ".join(frames.rejections["reason"])
    assert "Iowa" in reasons and "2022" in reasons
    assert fact(frames, "WI", "faon_mental_health_connections") is None
    assert fact(frames, "IA", "cst_social_service_engagements") is None


def test_a_reason_prints_the_years_as_whole_numbers():
    """With a rejected file in the batch, the sheets' years are a column with a null, which pandas
    reads as floats: the reason still says 2023, never 2023.0."""
    frames = validated([doc(WI, "wi.txt", ("In 2023, NCMEC connected", "In 2022, NCMEC connected")),
                        parse_bytes(b"Minutes of the March meeting.\n", "minutes.txt")], "L")
    (reason,) = frames.rejections[frames.rejections["check"] == "year_matches_sheet"]["reason"]
    assert reason == "The sentence is about 2022, but the sheet is about 2023."


def test_state_value_at_most_national():
    frames = validated([doc(WI, "wi.txt", ("including 70 survivors", "including 7,000 survivors"))], "L")
    assert rejected(frames, "state_within_national") == {("wi.txt", "team_hope_families_supported")}
    assert fact(frames, "US", "team_hope_families_supported").value == 5759


def test_field_checks():
    frames = validated([doc(WI, "wi.txt", ("19% of these", "119% of these"),
                               ("8,468 CyberTipline", "8,468.5 CyberTipline"),
                               ("engagements with Wisconsin", "engagements with Atlantis"))], "L")
    assert rejected(frames, "percent_range") == {("wi.txt", "cst_likely_victim_share_pct")}
    assert rejected(frames, "count_whole") == {("wi.txt", "cybertipline_reports_to_law_enforcement")}
    assert rejected(frames, "geo_known") == {("wi.txt", "cst_social_service_engagements")}
    assert "Atlantis" in " ".join(frames.rejections["reason"])


def test_a_count_too_large_to_hold_exactly_is_not_whole():
    """A double reads "99999999999999999999" as 1e20, and no BIGINT holds it: the count is rejected
    by count_whole, never loaded as a figure the sheet did not state (the reason states what was read)."""
    frames = validated([doc(WI, "wi.txt", ("8,468 CyberTipline", "99999999999999999999 CyberTipline"))], "L")
    assert rejected(frames, "count_whole") == {("wi.txt", "cybertipline_reports_to_law_enforcement")}
    assert "is 1e+20, but a count of reports must be a whole number of at most 9,007,199,254,740,992" in \
        " ".join(frames.rejections["reason"])
    assert fact(frames, "WI", "cybertipline_reports_to_law_enforcement") is None


def test_negative_value_and_unknown_metric_are_rejected():
    base = doc(WI, "wi.txt")
    o = base.observations[0]
    extra = [Observation(**{**o.__dict__, "value": -3.0, "metric": "missing_other"}),
             Observation(**{**o.__dict__, "metric": "made_up_metric"})]
    odd = ParsedDocument(source_file="odd.txt", sha256="0" * 64, n_bytes=1, encoding="utf-8",
                         text=base.text, geo="WI", year=2023, observations=extra)
    frames = validated([odd], "L")
    assert rejected(frames, "value_non_negative") == {("odd.txt", "missing_other")}
    assert rejected(frames, "metric_in_catalog") == {("odd.txt", "made_up_metric")}
    assert frames.facts.empty


def test_facts_hold_only_accepted_values():
    frames = validated([doc(WI, "wi.txt", ("Cases\t62", "Cases\t63")), doc(IL, "il.txt")], "L")
    accepted = frames.observations[frames.observations["accepted"]]
    keys = set(zip(accepted["geo"], accepted["year"], accepted["metric"], accepted["value"], strict=True))
    facts = frames.facts
    assert set(zip(facts["geo"], facts["year"], facts["metric"], facts["value"], strict=True)) <= keys


def test_the_file_already_loaded_stays_loaded_when_a_copy_appears():
    original, copy = doc(IL, "illinois_2023.txt"), doc(IL, "a_copy.txt")
    frames = validated([original, copy], "L", incumbents={original.sha256: "illinois_2023.txt"})
    status = dict(zip(frames.documents["source_file"], frames.documents["status"], strict=True))
    assert status == {"illinois_2023.txt": "loaded", "a_copy.txt": "duplicate"}
    assert set(frames.facts["source_file"]) == {"illinois_2023.txt"}
