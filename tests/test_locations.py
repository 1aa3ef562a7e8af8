"""Every command that takes --db (and --raw) reads the warehouse (and the raw folder) from the flag,
else NCMEC_DB (NCMEC_RAW), else warehouse/ncmec.duckdb (raw); so do `make run` and `python flows.py`."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import REPO, query
from typer.testing import CliRunner

from pipelines.cli.commands import app

runner = CliRunner()
WITH_DB = ("run", "serve", "query", "export", "report", "status", "explain")


@pytest.fixture(autouse=True)
def elsewhere(tmp_path, monkeypatch):
    """In an empty folder: a command that ignored the variables would find no raw/ and no
    warehouse/ there (and never load or serve the clone's own)."""
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")


def ncmec(*args: str, **env: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200", **env})


@pytest.mark.parametrize("command", WITH_DB)
def test_help_names_the_variables(command):
    shown = ncmec(command, "--help").stdout
    assert "NCMEC_DB" in shown and "warehouse/ncmec.duckdb" in shown
    assert ("NCMEC_RAW" in shown) == (command in ("run", "serve"))


def test_query_status_and_explain_read_the_warehouse_named_by_ncmec_db(analyst_db):
    env = {"NCMEC_DB": str(analyst_db)}
    (facts,) = query(analyst_db, "select count(*) from facts")[0]
    result = ncmec("query", "--format", "csv", "select count(*) as n from facts", **env)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["n", str(facts)]
    status = ncmec("status", **env)
    assert status.exit_code == 0, status.stderr
    # The heading is a table's title, which wraps a long path: compared with white space folded.
    assert " ".join(status.stdout.split()).startswith(f"last runs of {analyst_db} ") and "108" in status.stdout
    explained = ncmec("explain", "WI", "2023", "missing_other", "--json", **env)
    assert explained.exit_code == 0, explained.stderr
    assert json.loads(explained.stdout)["fact"]["value"] == 62


def test_the_flag_wins_over_the_variable(analyst_db, tmp_path):
    result = ncmec("query", "--db", str(analyst_db), "select 1", NCMEC_DB=str(tmp_path / "none.duckdb"))
    assert result.exit_code == 0, result.stderr
    elsewhere = ncmec("query", "--db", str(tmp_path / "none.duckdb"), "select 1", NCMEC_DB=str(analyst_db))
    assert elsewhere.exit_code == 2 and "none.duckdb" in elsewhere.stderr


def test_without_either_the_default_is_warehouse_ncmec_duckdb():
    result = ncmec("status")
    assert result.exit_code == 2 and "warehouse/ncmec.duckdb" in result.stderr


def test_export_and_report_read_the_warehouse_named_by_ncmec_db(analyst_db, tmp_path):
    env = {"NCMEC_DB": str(analyst_db)}
    exported = ncmec("export", "--out", str(tmp_path / "exports"), **env)
    assert exported.exit_code == 0, exported.stderr
    manifest = json.loads((tmp_path / "exports" / "manifest.json").read_text("utf-8"))
    assert manifest["load_id"] == query(analyst_db, "select max(load_id) from load_runs")[0][0]
    reported = ncmec("report", "--out", str(tmp_path / "report.html"), **env)
    assert reported.exit_code == 0, reported.stderr
    assert "5 rejection(s)" in reported.stdout and (tmp_path / "report.html").stat().st_size > 0


def test_run_reads_ncmec_raw_and_writes_ncmec_db(prefect_server, raw_dir, db_path):
    result = ncmec("run", NCMEC_RAW=str(raw_dir), NCMEC_DB=str(db_path))
    assert result.exit_code == 0, result.output
    assert query(db_path, "select count(*) from facts") == [(31,)]


def test_serve_takes_both_from_the_variables(prefect_server, raw_dir, tmp_path):
    """Checked before it serves: the folders it names are the variables' (nothing is served)."""
    missing_raw = ncmec("serve", NCMEC_RAW=str(tmp_path / "no-raw"), NCMEC_DB=str(tmp_path / "w.duckdb"))
    assert missing_raw.exit_code == 2 and f"the raw folder {tmp_path / 'no-raw'} does not exist" in missing_raw.stderr
    missing_db = ncmec("serve", NCMEC_RAW=str(raw_dir), NCMEC_DB=str(tmp_path / "nowhere" / "w.duckdb"))
    assert missing_db.exit_code == 2
    assert f"the warehouse folder {tmp_path / 'nowhere'} does not exist" in missing_db.stderr


def test_flows_py_takes_the_variables_unless_given_flags(monkeypatch):
    import flows

    assert (flows.arguments([]).raw, flows.arguments([]).db) == ("raw", "warehouse/ncmec.duckdb")
    monkeypatch.setenv("NCMEC_RAW", "/data/raw")
    monkeypatch.setenv("NCMEC_DB", "/data/w.duckdb")
    args = flows.arguments(["serve"])
    assert (args.command, args.raw, args.db) == ("serve", "/data/raw", "/data/w.duckdb")
    args = flows.arguments(["--raw", "r", "--db", "d.duckdb"])
    assert (args.raw, args.db) == ("r", "d.duckdb")


@pytest.mark.parametrize("given, expected", [((), "/.venv/bin/ncmec run"),
                                             (("DB=x.duckdb", "RAW=r"), "/.venv/bin/ncmec run --raw r --db x.duckdb")])
def test_make_run_leaves_the_warehouse_to_ncmec_unless_told(given, expected):
    """`make run` passes --db only when DB is given, so that NCMEC_DB (which make would
    otherwise override with its own default) decides."""
    done = subprocess.run(["make", "-n", "-s", "-C", str(REPO), "run", *given], capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin", "NCMEC_DB": "elsewhere.duckdb"})
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stdout.splitlines() if "ncmec run" in line]
    assert ("/" + line.strip()).endswith(expected)
