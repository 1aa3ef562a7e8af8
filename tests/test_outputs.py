"""What `query --out`, `report --out` and `export --out` may overwrite (pipelines/outputs/atomic.py):
never the warehouse (by inode: a hard link too; its log and lock by name), a symbolic link, a
folder where a file is meant, a FIFO or a device, nor a file or folder they did not write. Every
refusal is one line that names the path, and leaves every file as it was. A killed export leaves
a temporary folder that the next export removes, but never one a running export still writes."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli.commands import app

runner = CliRunner()
NCMEC = str(Path(sys.executable).parent / "ncmec")


@pytest.fixture
def place(analyst_db, tmp_path) -> Path:
    """A folder holding a copy of the warehouse (w.duckdb), a hard link to it, a symbolic link to
    it, a FIFO, someone's file and someone's folder; the tests run commands from there."""
    import shutil

    shutil.copyfile(analyst_db, tmp_path / "w.duckdb")
    os.link(tmp_path / "w.duckdb", tmp_path / "hard.duckdb")
    (tmp_path / "link.out").symlink_to(tmp_path / "w.duckdb")
    os.mkfifo(tmp_path / "fifo.out")
    (tmp_path / "notes.html").write_text("<p>mine</p>")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.py").write_text("print('keep me')")
    return tmp_path


def state(root: Path) -> dict[str, str]:
    """Every entry under root: a file's sha256, a link's target, or what it is."""
    found = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_symlink():
            found[rel] = "-> " + os.readlink(p)
        elif p.is_fifo():
            found[rel] = "fifo"
        elif p.is_file():
            found[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            found[rel] = "dir"
    return found


def invoke(place: Path, *args: str):
    cwd = os.getcwd()
    os.chdir(place)
    try:
        result = runner.invoke(app, [*args, "--db", "w.duckdb"])
    finally:
        os.chdir(cwd)
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    return result


def refused(place: Path, *args: str) -> str:
    before = state(place)
    result = invoke(place, *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "error: " in result.stderr, result.stderr
    assert state(place) == before  # nothing written, nothing left beside it
    return result.stderr


FILE_TARGETS = {
    "the warehouse": ("w.duckdb", "is the warehouse"),
    "a hard link to it": ("hard.duckdb", "is the warehouse w.duckdb (the same file)"),
    "its log, not there yet": ("w.duckdb.wal", "write-ahead log"),
    "its lock": ("w.duckdb.lock", "lock file"),
    "through a dotted path": ("src/../w.duckdb", "is the warehouse"),
    "a symbolic link": ("link.out", "is a symbolic link"),
    "a FIFO": ("fifo.out", "is not a regular file"),
    "a device": ("/dev/null", "is not a regular file"),
    "a folder": ("src", "is a folder"),
    "the current folder": (".", "is a folder"),
    "a missing folder's file": ("nowhere/x.out", "nowhere does not exist"),
}


@pytest.mark.parametrize("case", FILE_TARGETS)
@pytest.mark.parametrize("command", ["query", "report"])
def test_a_file_output_refuses_what_is_not_its_own(place, command, case):
    target, message = FILE_TARGETS[case]
    (place / "w.duckdb.lock").touch()
    args = ["query", "--format", "csv", "select 1"] if command == "query" else ["report"]
    line = refused(place, *args, "--out", target)
    assert message in line and target.split("/")[0] in line, line


def test_report_replaces_only_a_page_it_wrote(place):
    assert "exists and is not a report page that ncmec wrote" in refused(place, "report", "--out", "notes.html")
    page = place / "report.html"
    page.write_text("<!DOCTYPE html>\n<html><head><title>NCMEC state fact sheets: report</title>")  # 0.2.0's
    result = invoke(place, "report", "--out", "report.html")
    assert result.exit_code == 0, result.output
    assert b'<meta name="generator" content="ncmec report">' in page.read_bytes()[:4096]
    assert sorted(p.name for p in place.glob(".report.html.*")) == []


def test_query_out_writes_each_format_whole(place):
    sql = "select geo, year, value from facts where metric = 'missing_child_cases' and geo = 'WI' order by year"
    for name, fmt in (("r.csv", None), ("r.json", None), ("r.md", None), ("r.parquet", None), ("r.txt", "csv")):
        result = invoke(place, "query", sql, "--out", name, *(["--format", fmt] if fmt else []))
        assert result.exit_code == 0 and result.stdout == "", result.output
    assert (place / "r.csv").read_text() == "geo,year,value\nWI,2021,233\nWI,2023,204\n"  # counts: whole numbers
    assert (place / "r.txt").read_text() == (place / "r.csv").read_text()
    assert (place / "r.json").read_text() == ('{"geo": "WI", "year": 2021, "value": 233}\n'
                                              '{"geo": "WI", "year": 2023, "value": 204}\n')
    assert (place / "r.md").read_text() == ("| geo | year | value |\n|---|---:|---:|\n"
                                            "| WI | 2021 | 233 |\n| WI | 2023 | 204 |\n")
    assert duckdb.sql(f"select geo, year, value from '{place / 'r.parquet'}'").fetchall() == [
        ("WI", 2021, 233), ("WI", 2023, 204)]
    again = invoke(place, "query", "select 1 as one", "--out", "r.csv")  # a file of its own: replaced whole
    assert again.exit_code == 0 and (place / "r.csv").read_text() == "one\n1\n"
    assert not [p for p in place.iterdir() if p.name.startswith(".r.")]


@pytest.mark.parametrize("args, message", [
    (["select 1", "--out", "r.xlsx"], "cannot tell the format"),
    (["select 1", "--out", "r.csv", "--format", "table"], "--format table is for the terminal"),
    (["select 1; select 2", "--out", "r.csv"], "the result of one statement"),
    (["copy facts to 'r.csv'", "--out", "r.csv"], "refused"),
])
def test_query_out_of_the_wrong_kind_is_one_line(place, args, message):
    before = state(place)
    result = invoke(place, "query", *args)
    assert result.exit_code in (1, 2) and result.stderr.count("\n") == 1 and message in result.stderr
    assert state(place) == before


def export_there(place: Path, out: str = "exports") -> Path:
    result = invoke(place, "export", "--out", out)
    assert result.exit_code == 0, result.output
    return place / out


def test_export_replaces_only_a_folder_whose_every_file_it_listed(place):
    assert "is not empty and holds no previous export" in refused(place, "export", "--out", "src")
    (place / "src" / "manifest.json").write_text('{"datasets": []}')  # someone's manifest makes it no export
    assert "holds main.py, which no export wrote" in refused(place, "export", "--out", "src")
    out = export_there(place)
    manifest = json.loads((out / "manifest.json").read_text())
    assert "facts/year=2023/part-0.parquet" in manifest["files"] and "manifest.json" in manifest["files"]
    (out / "facts" / "year=2023" / "notes.txt").write_text("mine")
    assert "holds facts/year=2023/notes.txt, which no export wrote" in refused(place, "export", "--out", "exports")
    (out / "facts" / "year=2023" / "notes.txt").unlink()
    (out / "extra").symlink_to(place / "src")
    assert "holds extra, which no export wrote" in refused(place, "export", "--out", "exports")
    (out / "extra").unlink()
    manifest.pop("files")  # an export by 0.2.0 lists no files: its layout is what it may hold
    (out / "manifest.json").write_text(json.dumps(manifest))
    export_there(place)
    (place / "empty").mkdir()
    export_there(place, "empty")


@pytest.mark.parametrize("target, message", [
    (".", "is not a folder an export can replace"),
    ("..", "is not a folder an export can replace"),
    ("w.duckdb", "is the warehouse"),
    ("hard.duckdb", "is the warehouse"),
    ("w.duckdb.wal", "write-ahead log"),
    ("link.out", "is a symbolic link"),
    ("fifo.out", "is not a folder"),
    ("/dev/null", "is not a folder"),
    ("notes.html", "is a file"),
    ("{place}", "holds the warehouse"),
    ("nowhere/exports", "does not exist"),
])
def test_export_refuses_every_other_target(place, target, message):
    line = refused(place, "export", "--out", target.format(place=place))
    assert message in line, line


def test_export_refuses_a_folder_holding_the_warehouse_by_inode(place):
    """A previous export whose listed file is, in fact, the warehouse (a hard link to it)."""
    out = export_there(place)
    (out / "geos.parquet").unlink()
    os.link(place / "w.duckdb", out / "geos.parquet")
    assert "holds the warehouse (geos.parquet, the same file)" in refused(place, "export", "--out", "exports")


def _start_export(place: Path, point: str) -> tuple[subprocess.Popen, Path]:
    marker = place / f"paused-{point}"
    env = {**os.environ, "NCMEC_PAUSE_AT": point, "NCMEC_PAUSE_FILE": str(marker), "NCMEC_PAUSE_SECONDS": "120"}
    proc = subprocess.Popen([NCMEC, "export", "--db", "w.duckdb", "--out", "exports"], cwd=place, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not marker.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"export never reached {point}: {proc.communicate()[1][-2000:]!r}")
        time.sleep(0.05)
    marker.unlink()
    return proc, marker


def _kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _export(place: Path) -> subprocess.CompletedProcess:
    return subprocess.run([NCMEC, "export", "--db", "w.duckdb", "--out", "exports"], cwd=place,
                          capture_output=True, text=True, timeout=120)


def leftovers(place: Path) -> list[str]:
    return sorted(p.name for p in place.glob(".exports.*"))


def test_a_killed_export_is_cleaned_up_by_the_next_and_a_running_one_is_left_alone(place):
    export_there(place)
    proc, _ = _start_export(place, "export")
    running = leftovers(place)
    assert len(running) == 1  # its temporary folder, half written
    other = _export(place)  # an export while that one still runs: its folder is not touched
    assert other.returncode == 0, other.stderr
    assert leftovers(place) == running
    _kill(proc)
    assert leftovers(place) == running and state(place / "exports") != {}
    previous = state(place / "exports")
    again = _export(place)  # the killed one's folder is dead now: removed
    assert again.returncode == 0, again.stderr
    assert leftovers(place) == [] and state(place / "exports").keys() == previous.keys()


def test_an_export_killed_between_its_renames_is_put_back(place):
    previous = state(export_there(place))
    proc, _ = _start_export(place, "export_swap")
    _kill(proc)
    assert not (place / "exports").exists() and len(leftovers(place)) == 1  # the old one inside it
    other = invoke(place, "query", "select 1", "--out", "exports.csv")  # another target's: left as it is
    assert other.exit_code == 0 and len(leftovers(place)) == 1
    again = _export(place)
    assert again.returncode == 0, again.stderr
    assert leftovers(place) == [] and state(place / "exports").keys() == previous.keys()
