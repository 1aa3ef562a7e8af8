"""Counts are whole numbers wherever users read them (the warehouse, pandas, parquet, JSON), and a
percentage keeps its decimals (`percent`); every value has its scope, so a join with `metrics` on
(metric, scope) never doubles a fact (issue 22)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import RAW, query
from typer.testing import CliRunner

from pipelines.cli.commands import app
from pipelines.orchestration import run

runner = CliRunner()
PCT = "cst_likely_victim_share_pct"
VARIANTS = Path(__file__).parent / "variants"


def decimal_sheet() -> str:
    """The Wisconsin 2023 sheet stating its one percentage with decimals."""
    text = (RAW / "wisconsin_2023.txt").read_text("utf-8")
    assert text.count(" 19% of these") == 1
    return text.replace(" 19% of these", " 19.5% of these")


@pytest.fixture(scope="module")
def decimal_db(tmp_path_factory) -> Path:
    """A warehouse of the Wisconsin sheet as published (19%), then of the same file stating 19.5%."""
    tmp = tmp_path_factory.mktemp("decimal")
    (tmp / "raw").mkdir()
    sheet = tmp / "raw" / "wisconsin_2023.txt"
    sheet.write_text((RAW / "wisconsin_2023.txt").read_text("utf-8"), "utf-8")
    db = tmp / "ncmec.duckdb"
    run.run(tmp / "raw", db)
    sheet.write_text(decimal_sheet(), "utf-8")
    assert run.run(tmp / "raw", db).stats.facts_changed == 1
    return db


def test_counts_reach_pandas_as_integers(analyst_db):
    con = duckdb.connect(str(analyst_db), read_only=True)
    try:
        for table in ("facts", "observations"):
            df = con.sql(f"select * from {table}").df()
            assert str(df["value"].dtype) in ("int64", "Int64"), table
            assert str(df["percent"].dtype) == "float64", table
        wi = con.sql("select value from facts where geo = 'WI' and year = 2021 "
                     "and metric = 'cybertipline_reports_to_law_enforcement'").df()
        assert wi["value"].tolist() == [6112] and str(wi["value"].dtype) in ("int64", "Int64")
    finally:
        con.close()


def test_a_join_with_metrics_on_metric_and_scope_never_doubles_a_fact(analyst_db):
    n = query(analyst_db, "select count(*) from facts")[0][0]
    assert query(analyst_db, "select count(*) from facts join metrics using (metric, scope)") == [(n,)]
    # On the name alone it would: some names are of both scopes.
    assert query(analyst_db, "select count(*) from facts join metrics using (metric)")[0][0] > n
    assert query(analyst_db, "select distinct scope, geo = 'US' from observations order by 1") == [
        ("national", True), ("state", False)]


def test_the_views_type_counts_as_whole_numbers(analyst_db):
    def types(view: str) -> dict[str, str]:
        return dict(query(analyst_db, "select column_name, data_type from duckdb_columns() where table_name = ?",
                          [view]))

    wide = types("state_year_wide")
    assert (wide["missing_child_cases"], wide["cybertipline_reports_received"], wide[PCT]) == \
        ("BIGINT", "BIGINT", "DOUBLE")
    yoy = types("year_over_year")
    assert [yoy[c] for c in ("previous_value", "value", "change", "percent", "change_percent", "pct_change")] == \
        ["BIGINT", "BIGINT", "BIGINT", "DOUBLE", "DOUBLE", "DOUBLE"]
    share = types("state_share_of_national")
    assert (share["state_value"], share["national_value"], share["share"]) == ("BIGINT", "BIGINT", "DOUBLE")


def test_query_json_prints_a_count_as_an_integer(analyst_db):
    result = runner.invoke(app, ["query", "--db", str(analyst_db), "--format", "json",
                                 "select value, percent from facts where geo = 'WI' and year = 2021 "
                                 "and metric = 'cybertipline_reports_to_law_enforcement'"])
    assert result.exit_code == 0, result.output
    assert result.stdout == '{"value": 6112, "percent": null}\n'


def test_a_query_table_groups_a_count_and_leaves_a_year_bare(analyst_db):
    """A count is a BIGINT now, as a year (INTEGER) is an integer: the table tells them apart by type."""
    result = runner.invoke(app, ["query", "--db", str(analyst_db), "--format", "md",
                                 "select year, value, count(*) over () as n from facts where geo = 'WI' "
                                 "and metric = 'cybertipline_reports_to_law_enforcement' order by year"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[2:] == ["| 2021 | 6,112 | 2 |", "| 2023 | 8,468 | 2 |"]


def test_explain_json_prints_a_count_as_an_integer(analyst_db):
    result = runner.invoke(app, ["explain", "--db", str(analyst_db), "WI", "2023", "missing_other", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["fact"]["value"] == 62 and isinstance(data["fact"]["value"], int)
    assert [s["value"] for s in data["sources"]] == [62] and isinstance(data["sources"][0]["value"], int)
    assert '"value": 62.0' not in result.stdout and '"new_value": 62,' in result.stdout


def test_the_export_writes_counts_as_int64(analyst_db, tmp_path):
    out = tmp_path / "exports"
    assert runner.invoke(app, ["export", "--db", str(analyst_db), "--out", str(out)]).exit_code == 0
    for table in ("facts", "observations"):
        schema = pq.read_schema(next((out / table).glob("year=*/part-0.parquet")))
        assert (schema.field("value").type, schema.field("percent").type) == (pa.int64(), pa.float64())
    metrics = pq.read_table(out / "metrics.parquet")
    assert "title" in metrics.column_names and None not in metrics.column("title").to_pylist()
    assert "Team HOPE: families supported" in metrics.column("title").to_pylist()
    assert "| `title` |" in (out / "data_dictionary.md").read_text("utf-8")


def test_a_percentage_with_decimals_keeps_them(decimal_db, tmp_path):
    wanted = [(None, 19.5)]
    assert query(decimal_db, f"select value, percent from facts where metric = '{PCT}'") == wanted
    assert query(decimal_db, f"select value, percent from observations where metric = '{PCT}'") == wanted
    assert query(decimal_db, f"select {PCT} from state_year_wide where geo = 'US'") == [(19.5,)]
    # Counts stay whole numbers beside it.
    assert query(decimal_db, "select value, percent from facts where geo = 'WI' and metric = 'missing_other'") == \
        [(62, None)]
    out = tmp_path / "exports"
    assert runner.invoke(app, ["export", "--db", str(decimal_db), "--out", str(out)]).exit_code == 0
    for table in ("facts", "observations"):
        rows = pq.read_table(out / table / "year=2023" / "part-0.parquet").to_pylist()
        assert [(r["value"], r["percent"]) for r in rows if r["metric"] == PCT] == wanted, table


def test_year_over_year_changes_a_percentage_in_points_with_its_decimals(tmp_path):
    """17% in 2021, 19.5% in 2023: the whole-number columns say what they can (17; no 19.5), the
    percent columns the rest, and pct_change is computed from the exact figures."""
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "wi_2023.txt").write_text(decimal_sheet(), "utf-8")
    (tmp_path / "raw" / "wi_2021.txt").write_bytes((VARIANTS / "wi_2021.txt").read_bytes())
    run.run(tmp_path / "raw", tmp_path / "w.duckdb")
    row = query(tmp_path / "w.duckdb", "select previous_value, value, change, previous_percent, percent, "
                "change_percent, round(pct_change, 2) from year_over_year where metric = ?", [PCT])
    assert row == [(17, None, None, 17.0, 19.5, 2.5, 14.71)]


def test_a_change_to_a_percentage_is_recorded_with_its_decimals(decimal_db):
    assert query(decimal_db, "select old_value, new_value, old_percent, new_percent from fact_changes "
                             "where change = 'changed'") == [(19, None, 19.0, 19.5)]
    result = runner.invoke(app, ["explain", "--db", str(decimal_db), "US", "2023", PCT, "--json"])
    data = json.loads(result.stdout)
    assert data["fact"]["value"] == 19.5 and data["sources"][0]["value"] == 19.5
    assert [(h["old_value"], h["new_value"]) for h in data["history"]] == [(None, 19), (19, 19.5)]
    assert isinstance(data["history"][0]["new_value"], int)


def test_parse_prints_counts_as_integers_and_a_percentage_with_its_decimals(tmp_path):
    sheet = tmp_path / "wi.txt"
    sheet.write_text(decimal_sheet(), "utf-8")
    result = runner.invoke(app, ["parse", str(sheet)])
    assert result.exit_code == 0, result.output
    values = {r["metric"]: r["value"] for r in map(json.loads, result.stdout.splitlines()) if r["geo"] == "US"}
    assert values[PCT] == 19.5 and values["missing_child_cases"] == 28886
    assert '"value": 28886,' in result.stdout


def test_the_report_draws_a_percentage_with_its_decimals(decimal_db, tmp_path):
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--db", str(decimal_db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    national = out.read_text("utf-8").split('<h2 id=national>')[1].split("<h2 ")[0]
    assert ">19.5%<" in national and "<mark>19.5</mark>% of these" in national
