"""`ncmec explain`: where a number comes from, for a fact, a rejected value, a conflict, a name
it does not know, and as JSON."""

from __future__ import annotations

import json

import pytest
from conftest import RAW, seed_raw
from typer.testing import CliRunner

from pipelines.cli.commands import app
from pipelines.core import catalog
from pipelines.orchestration import run

runner = CliRunner()


def explain(db, *args):
    return runner.invoke(app, ["explain", *args, "--db", str(db)])


def test_a_fact_of_the_seeds_with_its_sentence_checks_history_and_national_share(analyst_db):
    result = explain(analyst_db, "wisconsin", "2023", "missing_child_cases")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert text.startswith("WI 2023 missing_child_cases (Wisconsin, state metric, Missing Children)")
    assert "204 cases (exact), from 1 sheet(s); the first: wisconsin_2023.txt" in text
    assert "“In 2023, NCMEC handled **204** cases of missing children from Wisconsin as follows:”" in text
    assert "characters " in text and "sha256 " in text
    assert "breakdown_sums" in text.split("checks passed")[1] and "sources_agree" in text
    assert "rejections of this key\n  none" in text
    assert "added: — -> 204 by load " in text
    assert "US 2023: 28,886 (exact); WI is 0.71% of it" in text


def test_the_catalog_caveat_is_shown(analyst_db):
    result = explain(analyst_db, "US", "2023", "cvip_children_identified_cumulative")
    caveat = catalog.metric_index()["cvip_children_identified_cumulative", "national"].caveat
    assert f"caveat: {caveat}" in result.stdout and "cvip_cumulative_non_decreasing" in result.stdout


NV_REASON = "The missing-children rows add up to 407 (301 + 97 + 9), but the sheet's total is 412."


def test_a_rejected_value_says_why_there_is_no_fact(analyst_db):
    """Nevada's table does not add up: no fact, the check and its reason first, then the rejection."""
    result = explain(analyst_db, "NV", "2023", "missing_other")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1] == f"  no fact: rejected (breakdown_sums): {NV_REASON}"
    assert f"reject_breakdown_nv_2023.txt (breakdown_sums): {NV_REASON}" in result.stdout
    assert "checks passed" not in result.stdout
    data = json.loads(explain(analyst_db, "NV", "2023", "missing_other", "--json").stdout)
    assert data["fact"] is None and data["outcome"] == "rejected"
    assert data["why_no_fact"] == f"rejected (breakdown_sums): {NV_REASON}"
    assert [(r["check"], r["reason"]) for r in data["rejections"]] == [("breakdown_sums", NV_REASON)]


def test_a_value_about_another_year_than_its_sheet_is_explained_as_rejected(tmp_path):
    """A Wisconsin 2023 sheet with one sentence about 2022: no sheet of WI 2022 is loaded, but the
    key has a value, rejected; explain says so, with the check and its reason (years as years, the
    run holding a file with no year too), not that the key is unknown."""
    raw = tmp_path / "raw"
    raw.mkdir()
    text = (RAW / "wisconsin_2023.txt").read_text("utf-8")
    text = text.replace("In 2023, NCMEC connected", "In 2022, NCMEC connected")
    (raw / "wi.txt").write_text(text, "utf-8")
    (raw / "minutes.txt").write_text("Minutes of the March meeting.\n", "utf-8")
    db = tmp_path / "ncmec.duckdb"
    run.run(raw, db)
    reason = "The sentence is about 2022, but the sheet is about 2023."
    result = explain(db, "WI", "2022", "faon_mental_health_connections")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1] == f"  no fact: rejected (year_matches_sheet): {reason}"
    assert "wi.txt (rejected): 50 (exact)" in result.stdout
    assert f"wi.txt (year_matches_sheet): {reason}" in result.stdout
    data = json.loads(explain(db, "WI", "2022", "faon_mental_health_connections", "--json").stdout)
    assert (data["outcome"], data["why_no_fact"]) == ("rejected", f"rejected (year_matches_sheet): {reason}")
    assert data["sources"][0]["accepted"] is False


def test_a_key_never_stated(analyst_db):
    result = explain(analyst_db, "DC", "2021", "missing_reported_by_hhs_orr")
    assert "no fact: never stated: no loaded sheet of 2021 states missing_reported_by_hhs_orr for " \
           "District of Columbia" in result.stdout
    assert json.loads(explain(analyst_db, "DC", "2021", "missing_reported_by_hhs_orr", "--json").stdout)[
        "outcome"] == "never_stated"


def test_a_conflict_gives_no_fact_and_names_both_sheets(tmp_path):
    raw = seed_raw(tmp_path / "raw")
    text = (RAW / "wisconsin_2023.txt").read_text("utf-8").replace("8,468 CyberTipline", "8,470 CyberTipline")
    (raw / "wisconsin_2023_revised.txt").write_text(text, "utf-8")
    db = tmp_path / "ncmec.duckdb"
    run.run(raw, db)
    result = explain(db, "WI", "2023", "cybertipline_reports_to_law_enforcement")
    reason = ("Sheets disagree on cybertipline_reports_to_law_enforcement for WI 2023 (8,468 (exact) in "
              "wisconsin_2023.txt; 8,470 (exact) in wisconsin_2023_revised.txt); no value has a majority, so there "
              "is no fact.")
    assert result.stdout.splitlines()[1] == f"  no fact: a conflict, rejected (sources_agree): {reason}"
    assert "stated by 2 document(s)" in result.stdout
    assert "wisconsin_2023.txt (sources_agree)" in result.stdout
    assert "wisconsin_2023_revised.txt (sources_agree)" in result.stdout
    data = json.loads(explain(db, "WI", "2023", "cybertipline_reports_to_law_enforcement", "--json").stdout)
    assert (data["outcome"], data["why_no_fact"]) == ("conflict", f"a conflict, rejected (sources_agree): {reason}")
    assert {(r["source_file"], r["check"]) for r in data["rejections"]} == {
        ("wisconsin_2023.txt", "sources_agree"), ("wisconsin_2023_revised.txt", "sources_agree")}


@pytest.mark.parametrize("args, message", [
    (("Wisconsn", "2023", "missing_other"), "unknown place 'Wisconsn'; did you mean Wisconsin?"),
    (("WI", "2023", "missing_othr"), "unknown metric 'missing_othr'; did you mean missing_other"),
    (("WI", "2019", "missing_other"), "no sheet of WI 2019 is loaded (years loaded for WI: 2021, 2023)"),
    (("WI", "2023", "connect_registered_users"), "connect_registered_users is a national metric; for WI use"),
])
def test_an_unknown_name_is_one_line_with_the_nearest(analyst_db, args, message):
    result = explain(analyst_db, *args)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr


def test_json_carries_the_same(analyst_db):
    result = explain(analyst_db, "illinois", "2023", "cybertipline_reports_to_law_enforcement", "--json")
    data = json.loads(result.stdout)
    assert data["geo"] == "IL" and data["fact"]["value"] == 26696 and data["fact"]["qualifier"] == "exact"
    (source,) = data["sources"]
    a, b = source["number"]
    assert source["evidence"][a:b] == "26,696" and source["char_end"] > source["char_start"]
    assert "sources_agree" in data["checks"] and data["national"] is None and data["why_no_fact"] is None
    assert data["outcome"] == "fact"


def test_a_missing_warehouse_is_one_line(tmp_path):
    result = explain(tmp_path / "none.duckdb", "WI", "2023", "missing_other")
    assert result.exit_code == 2 and "no warehouse at" in result.stderr


def test_a_duckdb_file_that_is_no_warehouse_is_one_line(tmp_path):
    import duckdb

    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("create table x (a int)")
    con.close()
    (tmp_path / "text.duckdb").write_text("not a database")
    for db, message in ((other, "is not an ncmec warehouse (it has no table documents)"),
                        (tmp_path / "text.duckdb", "not a valid DuckDB database file"),
                        (tmp_path, "cannot open")):
        result = explain(db, "WI", "2023", "missing_other")
        assert result.exit_code == 2 and result.stdout == ""
        assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
        assert "Traceback" not in result.output


@pytest.mark.parametrize("which", [0, 2])
def test_a_huge_argument_is_quoted_short(analyst_db, which):
    args = ["WI", "2023", "missing_other"]
    args[which] = "x" * 126_000
    result = explain(analyst_db, *args)
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert len(result.stderr) < 400 and "(126,002 characters)" in result.stderr


def tampered(analyst_db, tmp_path, sql: str):
    """A copy of the analyst warehouse with `sql` run on it: data as a hostile sheet could leave it."""
    import shutil

    import duckdb

    db = tmp_path / "ncmec.duckdb"
    shutil.copyfile(analyst_db, db)
    con = duckdb.connect(str(db))
    try:
        con.execute(sql)
    finally:
        con.close()
    return db

def test_text_from_the_sheets_prints_as_text(analyst_db, tmp_path):
    """Evidence holding an escape sequence, Rich markup and an emoji code is shown as it is
    written, escaped: on the terminal, and in --json (as JSON escapes)."""
    db = tampered(analyst_db, tmp_path, "update observations set evidence = evidence || ' [/] :x: ' || chr(27) "
                  "|| '[2J' || chr(8238) where geo = 'WI' and year = 2023 and metric = 'missing_other'")
    result = explain(db, "WI", "2023", "missing_other")
    assert result.exit_code == 0, result.stderr
    assert "**62** [/] :x: \\x1b[2J\\u202e”" in result.stdout and "\x1b" not in result.stdout
    as_json = explain(db, "WI", "2023", "missing_other", "--json")
    assert "\\u001b[2J\\u202e" in as_json.stdout
    assert json.loads(as_json.stdout)["sources"][0]["evidence"].endswith(" [/] :x: \x1b[2J\u202e")


def test_a_rejection_s_reason_prints_as_text_in_the_no_fact_line(analyst_db, tmp_path):
    db = tampered(analyst_db, tmp_path, "update rejections set reason = reason || ' [bold]:x:' || chr(27) || '[2J' "
                  "|| chr(10) || 'forged' where geo = 'NV'")
    result = explain(db, "NV", "2023", "missing_other")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1].endswith("412. [bold]:x:\\x1b[2J\\nforged")
    assert "\x1b" not in result.stdout and "\nforged" not in result.stdout
