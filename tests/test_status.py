"""`ncmec status`: last runs, counts, open rejections; one-line errors."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from test_views import rows
from typer.testing import CliRunner

from pipelines.cli.commands import app

runner = CliRunner()


@pytest.fixture(scope="module")
def db(analyst_db) -> Path:
    return analyst_db


def status(*args: str):
    # Wide enough that rich does not wrap the load id or a reason.
    return runner.invoke(app, ["status", *args], env={"COLUMNS": "240"})


def test_status_shows_the_last_run_counts_and_every_open_rejection(db):
    result = status("--db", str(db))
    assert result.exit_code == 0, result.output
    (run,) = rows(db, "select load_id, facts from load_runs")
    assert run["load_id"] in result.stdout and "completed" in result.stdout
    assert "7/8" in result.stdout  # files loaded of seen
    assert "facts" in result.stdout and f"{run['facts']:,}" in result.stdout
    assert "2021, 2022, 2023, 2024" in result.stdout and "DC, IL, NH, NV, WI" in result.stdout
    assert "5 open rejection(s): breakdown_sums 4, not_a_fact_sheet 1" in result.stdout
    for r in rows(db, 'select source_file, "check", metric, reason from rejections'):
        assert r["source_file"] in result.stdout and r["reason"] in result.stdout
        assert (r["metric"] or "whole file") in result.stdout


def test_a_run_against_a_prefect_server_links_to_its_page_in_the_ui(db, prefect_server):
    """The analyst warehouse was loaded by the flow against the session's Prefect server."""
    (run,) = rows(db, "select load_id, flow_run_id, flow_run_url from load_runs")
    url = f"{prefect_server.removesuffix('/api')}/runs/flow-run/{run['flow_run_id']}"
    assert run["flow_run_url"] == url
    result = status("--db", str(db))
    assert f"in the Prefect UI:\n  {run['load_id']}  {url}\n" in result.stdout


def test_limit_shortens_the_rejection_list(db):
    result = status("--db", str(db), "--limit", "1")
    assert result.exit_code == 0
    assert "and 1 more" in result.stdout  # entries group the four breakdown_sums values of one sheet


def test_an_unfinished_run_is_pointed_out(db, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(db, copy)
    con = duckdb.connect(str(copy))
    con.execute("insert into load_runs (load_id, started_at, status) "
                "values ('29990101T000000Z-deadbeef', ?, 'running')", [datetime.now(UTC)])
    con.close()
    result = status("--db", str(copy))
    assert result.exit_code == 0
    assert "29990101T000000Z-deadbeef" in result.stdout and "has not finished" in result.stdout


def test_status_of_a_missing_warehouse_is_one_line(tmp_path):
    result = status("--db", str(tmp_path / "none.duckdb"))
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "no warehouse" in result.stderr


def test_status_of_a_duckdb_file_that_is_no_warehouse_is_one_line(tmp_path):
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("create table x (a int)")
    con.close()
    result = status("--db", str(other))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "is not an ncmec warehouse" in result.stderr


HOSTILE = "[/] [bold]:x:[/bold] \x1b[31m\u202e\nforged line"


def test_names_and_reasons_print_as_text(db, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(db, copy)
    con = duckdb.connect(str(copy))
    con.execute("update rejections set source_file = source_file || ?, reason = reason || ?", [HOSTILE, HOSTILE])
    con.execute("update load_runs set error = ?", [HOSTILE])
    con.close()
    result = status("--db", str(copy))
    assert result.exit_code == 0, result.output
    shown = "[/] [bold]:x:[/bold] \\x1b[31m\\u202e\\nforged line"
    assert result.stdout.count(shown) >= 3 and "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "❌" not in result.stdout and "\nforged line" not in result.stdout


def test_a_runs_summary_prints_names_as_text():
    from io import StringIO

    from rich.console import Console

    from pipelines.orchestration.run import RunSummary
    from pipelines.outputs import terminal
    from pipelines.store.load import LoadStats

    stats = LoadStats("20260101T000000Z-00000000", *([0] * 12), *([0.0] * 4))
    buffer = StringIO()
    console = Console(file=buffer, width=200, force_terminal=True)  # a terminal, emoji codes on
    terminal.print_summary(console, RunSummary(stats, [(f"a{HOSTILE}.txt", "empty", f"why{HOSTILE}")], {"empty": 1}))
    text = buffer.getvalue()
    assert "a[/] [bold]:x:[/bold] \\x1b[31m\\u202e\\nforged line.txt (empty)" in text
    assert "\x1b[31m" not in text and "❌" not in text and "\u202e" not in text


@pytest.mark.parametrize("columns", ["80", "40"])
def test_no_load_id_or_figure_is_cut_in_a_narrow_terminal(db, columns):
    result = runner.invoke(app, ["status", "--db", str(db)], env={"COLUMNS": columns})
    assert result.exit_code == 0, result.output
    (run,) = rows(db, "select load_id, facts, rejections from load_runs")
    assert run["load_id"] in result.stdout and "…" not in result.stdout
    if columns == "40":  # the runs table does not fit: one block a run, every value whole
        assert f"  facts: {run['facts']:,}" in result.stdout and f"  rejections: {run['rejections']:,}" in result.stdout


def test_json_is_one_object_with_the_runs_the_counts_and_every_open_rejection(db):
    result = status("--db", str(db), "--json", "--limit", "1")  # --limit shortens the text only
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1
    data = json.loads(result.stdout)
    (run,) = rows(db, "select load_id, facts, rejections from load_runs")
    (shown,) = data["runs"]
    assert shown["load_id"] == run["load_id"] and shown["status"] == "completed"
    assert (shown["files_seen"], shown["files_loaded"], shown["facts"]) == (8, 7, run["facts"])
    assert shown["seconds"] > 0 and shown["started_at"].endswith("+00:00")
    assert data["documents"] == {"loaded": 7, "rejected": 1}
    assert data["counts"]["facts"] == run["facts"] and data["counts"]["runs"] == 1
    assert all(type(n) is int for n in [*data["counts"].values(), *data["documents"].values()])
    assert data["years"] == [2021, 2022, 2023, 2024] and data["places"] == ["DC", "IL", "NH", "NV", "WI"]
    rejections = data["rejections"]
    assert rejections["count"] == 5 and rejections["by_check"] == {"breakdown_sums": 4, "not_a_fact_sheet": 1}
    expected = rows(db, 'select source_file, geo, year, metric, "check", reason from rejections')
    assert sorted(map(repr, ({k: r[k] for k in expected[0]} for r in rejections["open"]))) == sorted(
        map(repr, expected))


def test_json_escapes_what_a_terminal_would_act_on(db, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(db, copy)
    con = duckdb.connect(str(copy))
    con.execute("update rejections set reason = reason || ?", [HOSTILE])
    con.close()
    result = status("--db", str(copy), "--json")
    assert result.exit_code == 0 and "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert all(r["reason"].endswith(HOSTILE) for r in json.loads(result.stdout)["rejections"]["open"])


def test_json_of_a_missing_warehouse_is_one_line_on_stderr(tmp_path):
    result = status("--db", str(tmp_path / "none.duckdb"), "--json")
    assert result.exit_code == 2 and result.stdout == "" and result.stderr.count("\n") == 1


def _fetched(db: Path, fetch_id: str, statuses: list[str]) -> None:
    """Rows of one fetch in the ledger, as pipelines/fetch/fetching.py writes them."""
    from pipelines.store.fetches import Row, record

    now = datetime(2026, 12, 8, 6, 0, tzinfo=UTC)
    record(db, [Row(fetch_id, f"https://example.org/{n}.pdf", "sheet", status, 404 if status == "failed" else 200,
                    None, f"{n}.pdf", None, None, None if status == "failed" else "0" * 64, 10, now,
                    "not_found" if status == "failed" else None,
                    "answered 404 Not Found: no document is there" if status == "failed" else None)
                for n, status in enumerate(statuses)])


def test_status_shows_the_last_fetch_and_each_url_that_failed(db, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    result = status("--db", str(copy))
    assert "no fetch yet: `ncmec fetch` brings sheets from their URLs" in result.stdout
    assert json.loads(status("--db", str(copy), "--json").stdout)["last_fetch"] is None

    _fetched(copy, "20261201T060000Z-aaaaaaaa", ["failed", "failed"])
    _fetched(copy, "20261208T060000Z-bbbbbbbb", ["new", "changed", "unchanged", "unchanged", "failed"])
    result = status("--db", str(copy))
    assert result.exit_code == 0, result.output
    assert ("last fetch 20261208T060000Z-bbbbbbbb (done 2026-12-08 06:00 UTC): 1 new, 1 changed, 2 unchanged, "
            "1 failed\n  https://example.org/4.pdf (not_found):\n      answered 404 Not Found") in result.stdout
    assert "1.pdf (not_found)" not in result.stdout  # the earlier fetch's failures are not the last fetch's
    shown = json.loads(status("--db", str(copy), "--json").stdout)["last_fetch"]
    assert shown["fetch_id"] == "20261208T060000Z-bbbbbbbb"
    assert shown["counts"] == {"new": 1, "changed": 1, "unchanged": 2, "listed": 0, "failed": 1}
    assert [u["status"] for u in shown["urls"]] == ["new", "changed", "unchanged", "unchanged", "failed"]
