"""Issue 18: a run that nothing the user types or leaves beside the warehouse can turn against it.

The lock file is never written through a link; any `--db` path works, glob characters and quotes
included; a run never empties the warehouse by accident; the run's temporary Prefect server dies
with it, even under SIGKILL; the warehouse opens in DuckDB 1.4 (duckdb-cli), and one an earlier
release wrote in DuckDB 2's format is rewritten so it does.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil
import pytest
from conftest import query, snapshot

from pipelines.orchestration.run import WouldEmpty, run
from pipelines.store import storage
from pipelines.store.lock import LockFileError

BIN = Path(sys.executable).parent
NCMEC = str(BIN / "ncmec")
VIEWS = ("state_year_wide", "missing_breakdown", "state_share_of_national", "year_over_year")


@pytest.fixture
def loaded(raw_dir: Path, db_path: Path) -> Path:
    run(raw_dir, db_path)
    return db_path


def _one_line(text: str) -> bool:
    return text.strip().count("\n") == 0 and "Traceback" not in text


@pytest.mark.parametrize("kind", ["symlink", "hardlink", "fifo", "folder"])
def test_the_lock_file_is_never_written_through(kind, raw_dir, db_path, tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    lock = Path(f"{db_path}.lock")
    {"symlink": lambda: lock.symlink_to(target), "hardlink": lambda: os.link(target, lock),
     "fifo": lambda: os.mkfifo(lock), "folder": lambda: lock.mkdir()}[kind]()
    with pytest.raises(LockFileError, match="the lock file .* remove it"):
        run(raw_dir, db_path)
    assert target.read_text() == "keep me\n" and not db_path.exists()
    result = subprocess.run([NCMEC, "run", "--raw", str(raw_dir), "--db", str(db_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and _one_line(result.stderr) and "lock file" in result.stderr
    assert target.read_text() == "keep me\n"


@pytest.mark.parametrize("name", ["w[1]/n[c].duckdb", "a*b/ware'house.duckdb", "-x/\"q\" {a,b}.duckdb",
                                  "~/md:x.duckdb", "nl\nesc\x1b/d.duckdb"])
def test_any_warehouse_path_works(name, raw_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # "~/..." relative: the folder named "~", never the home folder
    db = Path(name)
    db.parent.mkdir()
    first = run(raw_dir, db)
    assert first.stats.facts == 31
    again = run(raw_dir, db)  # reads back what it holds: the reuse path
    assert again.stats.facts == 31 and again.stats.files_parsed == 0
    assert sorted(p.name for p in db.parent.iterdir()) == sorted([db.name, f"{db.name}.lock"])  # no staging left


@pytest.mark.parametrize("name", ["a?b/n.duckdb", "back\\slash/n.duckdb"])
def test_a_path_duckdb_would_misread_is_one_line(name, raw_dir, tmp_path):
    db = tmp_path / name
    db.parent.mkdir()
    result = subprocess.run([NCMEC, "run", "--raw", str(raw_dir), "--db", str(db)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and _one_line(result.stderr) and "DuckDB cannot open" in result.stderr
    assert sorted(p.name for p in db.parent.iterdir()) == []


def test_an_empty_raw_folder_is_refused_and_costs_nothing(loaded, tmp_path):
    before = snapshot(loaded)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(WouldEmpty, match=r"would remove all 31 facts .* pass --prune"):
        run(empty, loaded)
    assert snapshot(loaded) == before
    # From the command line: at once, before Prefect starts, in one line.
    result = subprocess.run([NCMEC, "run", "--raw", str(empty), "--db", str(loaded)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and _one_line(result.stderr) and "--prune" in result.stderr
    assert snapshot(loaded) == before


def test_a_folder_of_no_sheets_is_refused_but_prune_empties(loaded, tmp_path):
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "notes.txt").write_text("A shopping list: eggs, flour, 12 apples.\n")
    before = snapshot(loaded)
    with pytest.raises(WouldEmpty, match=r"\(1 file\) gives none"):
        run(wrong, loaded)
    assert snapshot(loaded) == before
    assert query(loaded, "select status from load_runs order by started_at") == [("completed",), ("failed",)]
    assert run(wrong, loaded, prune=True).stats.facts == 0


def test_a_run_that_retracts_some_facts_says_which_files_are_gone(loaded, raw_dir):
    (raw_dir / "wisconsin_2023.txt").unlink()
    summary = run(raw_dir, loaded)
    assert summary.gone == ["wisconsin_2023.txt"] and summary.stats.facts_removed == 11
    from rich.console import Console

    from pipelines.outputs import terminal

    console = Console(record=True, width=80)
    terminal.print_summary(console, summary)
    assert "1 file(s) gone from the raw folder since the last run" in console.export_text()


def test_a_killed_run_takes_its_temporary_server_with_it(raw_dir, db_path, tmp_path):
    """No Prefect server configured: the run starts a temporary one (its child). SIGKILL the run
    as soon as the server is up: the server must not outlive it."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    proc = subprocess.Popen([NCMEC, "run", "--raw", str(raw_dir), "--db", str(db_path)], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        server = _child(proc, "uvicorn", timeout=120)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        server.wait(20)  # raises psutil.TimeoutExpired if it outlives the run
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not server.is_running()


def test_a_killed_run_takes_its_parse_workers_with_it(prefect_server, raw_dir, db_path, tmp_path):
    """Parse batches on a process pool (one file a batch, two workers); SIGKILL the run while a
    worker is parsing (held at the `parse` pause point): no worker may outlive it."""
    marker = tmp_path / "paused"
    env = {**os.environ, "PREFECT_API_URL": prefect_server, "NCMEC_PAUSE_AT": "parse",
           "NCMEC_PAUSE_FILE": str(marker), "NCMEC_PAUSE_SECONDS": "600"}
    script = (f"from flows import warehouse_flow; warehouse_flow(raw={str(raw_dir)!r}, db={str(db_path)!r}, "
              "batch_size=1, workers=2)")
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "no worker reached its pause point"
            time.sleep(0.1)
        workers = [c for c in psutil.Process(proc.pid).children(recursive=True)]
        assert int(marker.read_text().split()[0]) in {w.pid for w in workers}  # the pause is in a worker
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        _gone, alive = psutil.wait_procs(workers, timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not alive, [" ".join(p.cmdline())[:100] for p in alive]


def _child(proc: subprocess.Popen, needle: str, timeout: float) -> psutil.Process:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the run ended before its server started"
        for child in psutil.Process(proc.pid).children(recursive=True):
            try:
                if needle in " ".join(child.cmdline()):
                    return child
            except psutil.NoSuchProcess:
                continue
        time.sleep(0.1)
    raise AssertionError(f"no {needle} child within {timeout} s")


def _cli(db: Path, sql: str) -> subprocess.CompletedProcess:
    """DuckDB 1.4's own command-line client (the dev extra duckdb-cli), read-only."""
    return subprocess.run([str(BIN / "duckdb"), "-readonly", "-csv", str(db), sql],
                          capture_output=True, text=True, timeout=60)


def test_duckdb_1_4_reads_the_warehouse_and_its_views(loaded):
    assert _cli(loaded, "select version()").stdout.split()[-1].startswith("v1.4")
    for relation in ("facts", "observations", "documents", *VIEWS):
        result = _cli(loaded, f"select count(*) from {relation}")
        assert result.returncode == 0, (relation, result.stderr)
        assert int(result.stdout.split()[-1]) == query(loaded, f"select count(*) from {relation}")[0][0]


def test_a_warehouse_in_duckdb_2s_format_is_rewritten_by_the_next_run(raw_dir, db_path, tmp_path):
    """As an earlier release left it: written by DuckDB 2 in its own storage format."""
    run(raw_dir, db_path)
    newer = tmp_path / "newer.duckdb"
    con = duckdb.connect(str(newer))  # DuckDB 2's default format
    con.execute(f"attach '{db_path}' as old (read_only); copy from database old to newer; detach old")
    assert storage.version(con).startswith("v2")
    con.close()
    shutil.move(newer, db_path)
    before = snapshot(db_path)
    assert _cli(db_path, "select count(*) from facts").returncode != 0  # DuckDB 1.4 cannot open it
    comments = query(db_path, "select table_name, column_name, comment from duckdb_columns() order by all")
    run(raw_dir, db_path)  # unchanged inputs: the run only records itself, in the rewritten file
    assert snapshot(db_path) == before
    assert query(db_path, "select table_name, column_name, comment from duckdb_columns() order by all") == comments
    assert _cli(db_path, "select count(*) from facts").stdout.split() == ["count_star()", "31"]
    assert sorted(p.name for p in db_path.parent.iterdir()) == ["ncmec.duckdb", "ncmec.duckdb.lock"]

