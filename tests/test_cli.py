"""The `ncmec` console script: parse, run, exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RAW, REPO, query
from typer.testing import CliRunner

from pipelines.cli.commands import app

runner = CliRunner()
NCMEC = Path(sys.executable).parent / "ncmec"


def test_version_prints_the_installed_package_s_version_and_exits_0():
    """The installed console script, as a user runs it: `ncmec <version from package metadata>`."""
    from importlib.metadata import version

    done = subprocess.run([str(NCMEC), "--version"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"ncmec {version('ncmec-warehouse')}\n", "")
    assert runner.invoke(app, ["--version", "status"]).stdout == done.stdout  # eager: before any command


def test_parse_prints_20_observations_as_json_lines():
    result = runner.invoke(app, ["parse", str(RAW / "wisconsin_2023.txt")])
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 20
    by_metric = {(r["geo"], r["metric"]): r for r in rows}
    assert by_metric[("WI", "cybertipline_reports_to_law_enforcement")]["value"] == 8468
    assert by_metric[("US", "cybertipline_reports_received")]["value"] == 36200000
    assert by_metric[("US", "cybertipline_reports_received")]["qualifier"] == "approximate"
    assert set(rows[0]) == {"source_file", "geo", "year", "metric", "value", "qualifier", "unit",
                            "evidence", "char_start", "char_end"}


def test_parse_of_a_rejected_file_says_why(tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    result = runner.invoke(app, ["parse", str(bad)])
    assert result.exit_code == 1
    assert "rejected (empty)" in result.stderr and result.stdout == ""


def test_parse_names_the_values_it_cannot_read():
    """A pdfminer export whose footnote marker stuck to a figure: the others are printed, and
    the two figures that could hide the marker are named on stderr, each with its check."""
    result = runner.invoke(app, ["parse", str(REPO / "tests/exporters/out/il_2023_columns.pdfminer.txt")])
    assert result.exit_code == 0
    metrics = {json.loads(line)["metric"] for line in result.stdout.splitlines()}
    assert "cvip_submissions_reviewed" not in metrics and len(result.stdout.splitlines()) == 18
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and all(line.startswith("not read: IL 2023 ") for line in lines)
    assert "cvip_submissions_reviewed (footnote_ambiguous): " in lines[0] and "771" in lines[0]


def test_parse_of_a_missing_file_is_one_line(tmp_path):
    result = runner.invoke(app, ["parse", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "is not a file" in result.stderr


@pytest.fixture
def cli(prefect_server):
    return lambda *args: runner.invoke(app, list(args))


def test_run_loads_the_seeds(cli, raw_dir, db_path):
    result = cli("run", "--raw", str(raw_dir), "--db", str(db_path))
    assert result.exit_code == 0, result.output
    assert query(db_path, "select count(*) from facts") == [(31,)]
    assert "facts" in result.stdout and "31" in result.stdout


def test_run_with_bad_files_exits_0_and_names_each_one(cli, raw_dir, db_path):
    (raw_dir / "blank.txt").write_text("   \n")
    (raw_dir / "atlantis.txt").write_text(
        (RAW / "wisconsin_2023.txt").read_text().replace("Wisconsin", "Atlantis"))
    result = cli("run", "--raw", str(raw_dir), "--db", str(db_path))
    assert result.exit_code == 0, result.output
    assert "rejected blank.txt (empty)" in result.stdout
    assert "rejected atlantis.txt (unknown_state)" in result.stdout and "'Atlantis'" in result.stdout
    strict = cli("run", "--raw", str(raw_dir), "--db", str(db_path), "--strict")
    assert strict.exit_code == 1
    assert query(db_path, "select count(*) from facts") == [(31,)]


def test_strict_run_with_nothing_rejected_exits_0(cli, raw_dir, db_path):
    assert cli("run", "--raw", str(raw_dir), "--db", str(db_path), "--strict").exit_code == 0


@pytest.mark.parametrize("what", ["raw", "db"])
def test_run_with_a_missing_folder_fails_in_one_line(cli, tmp_path, raw_dir, db_path, what):
    args = {"raw": ["--raw", str(tmp_path / "nowhere"), "--db", str(db_path)],
            "db": ["--raw", str(raw_dir), "--db", str(tmp_path / "nowhere" / "x.duckdb")]}[what]
    result = cli("run", *args)
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "does not exist" in result.stderr


def test_console_script_and_flows_py_run_the_same_flow(prefect_server, raw_dir, tmp_path):
    """The installed `ncmec` and `python flows.py` as real processes, against the test server."""
    env = {**os.environ, "PREFECT_API_URL": prefect_server}
    runs = []
    for i, cmd in enumerate([[str(NCMEC), "run"], [sys.executable, str(REPO / "flows.py")]]):
        db = tmp_path / f"w{i}" / "ncmec.duckdb"
        db.parent.mkdir()
        done = subprocess.run([*cmd, "--raw", str(raw_dir), "--db", str(db)], env=env,
                              capture_output=True, text=True, timeout=300)
        runs.append(done)
        assert done.returncode == 0, done.stderr[-2000:]
        assert query(db, "select count(*) from facts") == [(31,)]
    # The console script ends without the interpreter's finalisation: its summary still arrives
    # whole, and nothing is printed after it (no leak report from an extension, no traceback).
    console = runs[0]
    assert console.stdout.rstrip().splitlines()[-1].split() == ["rejections", "0"]
    assert [line for line in console.stderr.splitlines() if " | " not in line] == []


def test_run_json_is_one_object_on_stdout_and_every_other_line_on_stderr(prefect_server, raw_dir, db_path):
    """The installed console script, so that whatever else writes to stdout (Prefect, a print) would
    show: stdout is the summary alone, with the counts as integers and each rejection with its reason."""
    env = {**os.environ, "PREFECT_API_URL": prefect_server}
    (raw_dir / "blank.txt").write_text("   \n")
    (raw_dir / "wi_2023_again.txt").write_text(
        (RAW / "wisconsin_2023.txt").read_text().replace("Cases\t62", "Cases\t63"))

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(NCMEC), "run", "--raw", str(raw_dir), "--db", str(db_path), "--json", *extra],
                              env=env, capture_output=True, text=True, timeout=300)

    done = run()
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("\n") == 1 and "Prefect server:" in done.stderr
    data = json.loads(done.stdout)
    assert data["files"] == {"seen": 4, "parsed": 4, "loaded": 3, "duplicate": 0, "rejected": 1, "removed": 0}
    assert data["facts"] == {"count": 31, "added": 31, "changed": 0, "removed": 0}  # the other sheet's stand
    assert data["load_id"] == query(db_path, "select max(load_id) from load_runs")[0][0]
    assert data["rejected_files"] == [{"source_file": "blank.txt", "check": "empty",
                                       "reason": data["rejected_files"][0]["reason"]}]
    assert data["rejections"]["count"] == len(data["rejections"]["open"]) == 5
    assert data["rejections"]["by_check"] == {"breakdown_sums": 4, "empty": 1}
    for r in data["rejections"]["open"]:
        assert r["reason"] and r["check"] and r["source_file"] and set(r) >= {"geo", "year", "metric"}
    assert all(type(v) is int for v in [*data["files"].values(), *data["facts"].values(), data["observations"]])

    (raw_dir / "wi_2023_again.txt").unlink()
    strict = run("--strict")  # Wisconsin's table now adds up; blank.txt is still rejected: --strict exits 1
    assert strict.returncode == 1 and "--strict: 1 rejection(s)" in strict.stderr
    again = json.loads(strict.stdout)
    assert again["removed_files"] == ["wi_2023_again.txt"] and again["files"]["removed"] == 1
    assert again["facts"]["count"] == 31 and again["rejections"]["by_check"] == {"empty": 1}


# Packages that a read-only command has no use for, each tenths of a second to import (issue 13:
# `ncmec query`, `status` and `parse` start in well under half a second only without them).
HEAVY = ("prefect", "pandas", "pandera", "pyarrow", "numpy", "jinja2", "matplotlib", "altair")
READ_ONLY = {
    "status": lambda db: ["status", "--db", str(db)],
    "query": lambda db: ["query", "--db", str(db), "select metric, value from facts where geo = 'WI'"],
    "parse": lambda db: ["parse", str(RAW / "wisconsin_2023.txt")],
    "explain": lambda db: ["explain", "--db", str(db), "wisconsin", "2023", "missing_other"],
}


def _imported(*args: str) -> set[str]:
    """The top-level packages that the installed `ncmec` imports for these arguments, as
    `python -X importtime` lists them (it succeeds, too)."""
    done = subprocess.run([sys.executable, "-X", "importtime", str(NCMEC), *args],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return {line.rsplit("|", 1)[1].strip().split(".")[0]
            for line in done.stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.parametrize("command", READ_ONLY)
@pytest.mark.parametrize("help_only", [False, True], ids=["real", "help"])
def test_read_only_commands_import_nothing_heavy(analyst_db, command, help_only):
    args = [command, "--help"] if help_only else READ_ONLY[command](analyst_db)
    imported = _imported(*args)
    assert {"pipelines", "typer"} <= imported  # the listing is read right
    assert sorted(imported.intersection(HEAVY)) == []


def test_explain_compiles_none_of_the_extraction_patterns(analyst_db):
    """What explain needs of the catalog (names, units, descriptions) is read without compiling the
    patterns that read sheets: some 70 ms of a start that query and status do not pay either."""
    probe = ("import sys; from pipelines.cli.entry import main; code = main(sys.argv[1:]); "
             "from pipelines.core import catalog; print(code, catalog.load_catalog.cache_info().currsize)")
    for key in (("wisconsin", "2023", "missing_other"), ("NV", "2023", "missing_other"), ("US", "2023", "bogus")):
        done = subprocess.run([sys.executable, "-c", probe, "explain", "--db", str(analyst_db), *key],
                              capture_output=True, text=True, timeout=120)
        assert done.stdout.splitlines()[-1] == f"{1 if key[2] == 'bogus' else 0} 0", done.stderr[-2000:]


def test_dask_is_an_extra_and_its_absence_is_one_line(raw_dir, db_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "prefect_dask"
                        else real(name, *a))
    result = runner.invoke(app, ["run", "--raw", str(raw_dir), "--db", str(db_path), "--task-runner", "dask"])
    assert result.exit_code == 2 and "needs the dask extra" in result.stderr and result.stderr.count("\n") == 1
    assert not db_path.exists()
