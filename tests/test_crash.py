"""A warehouse people can trust: kills, concurrent runs, readers during a load, revisions.

Runs are real `ncmec run` processes against the session's test Prefect server. A run started
with NCMEC_PAUSE_AT=<point> stops there (pipelines/core/faults.py) so it can be SIGKILLed exactly.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import RAW, query, seed_raw, snapshot

NCMEC = str(Path(sys.executable).parent / "ncmec")
VARIANTS = Path(__file__).parent / "variants"
# Content tables: what "identical to a clean run" compares (load_ids differ between warehouses).
CONTENT = ("documents", "observations", "facts", "rejections", "metrics", "geos")


def content(db: Path) -> dict[str, list[tuple]]:
    tables = {}
    for table in CONTENT:
        cols = [c for (c,) in query(db, f"select column_name from (describe {table}) where column_name <> 'load_id'")]
        quoted = ", ".join('"' + c + '"' for c in cols)
        rows = query(db, f"select {quoted} from {table}")
        tables[table] = sorted(rows, key=repr)
    return tables


def start(raw: Path, db: Path, server: str, *args: str, pause: str | None = None, tmp: Path | None = None,
          pause_seconds: float = 600) -> tuple[subprocess.Popen, Path | None]:
    env = {**os.environ, "PREFECT_API_URL": server}
    marker = None
    if pause:
        marker = tmp / f"paused-{pause}-{time.monotonic_ns()}"
        env.update(NCMEC_PAUSE_AT=pause, NCMEC_PAUSE_FILE=str(marker), NCMEC_PAUSE_SECONDS=str(pause_seconds))
    proc = subprocess.Popen([NCMEC, "run", "--raw", str(raw), "--db", str(db), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, marker


def wait_for(marker: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"run ended before its pause point: {proc.communicate()[1][-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("run never reached its pause point")
        time.sleep(0.1)


def run(raw: Path, db: Path, server: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PREFECT_API_URL": server}
    return subprocess.run([NCMEC, "run", "--raw", str(raw), "--db", str(db), *args], env=env,
                          capture_output=True, text=True, timeout=300)


def change_inputs(raw: Path) -> None:
    """A revision and two new sheets: something for the next run to load."""
    wi = raw / "wisconsin_2023.txt"
    wi.write_text(wi.read_text("utf-8").replace("8,468 CyberTipline", "8,470 CyberTipline"), "utf-8")
    for name in ("nh_2022_wrap72.txt", "oh_2023_cp1252.txt"):
        shutil.copyfile(VARIANTS / name, raw / name)


@pytest.fixture(scope="module")
def seeded(prefect_server, tmp_path_factory) -> Path:
    """A warehouse one run over the seeds made: the state each test starts from (a copy), and a
    clean run's content to compare with."""
    tmp = tmp_path_factory.mktemp("seeded")
    db = tmp / "seeded.duckdb"
    assert run(seed_raw(tmp / "raw"), db, prefect_server).returncode == 0
    return db


def after_a_run(seeded: Path, db: Path) -> None:
    """`db` as a run over the seeds (the raw_dir fixture's files) leaves it."""
    shutil.copyfile(seeded, db)


@pytest.fixture(scope="module")
def clean_after_change(prefect_server, tmp_path_factory) -> dict:
    """The content a clean run over the changed inputs gives, in a warehouse of its own."""
    tmp = tmp_path_factory.mktemp("clean")
    raw2 = seed_raw(tmp / "raw")
    change_inputs(raw2)
    db = tmp / "clean.duckdb"
    assert run(raw2, db, prefect_server).returncode == 0
    return content(db)


@pytest.mark.parametrize("point", ["parse", "load", "after_commit"])
def test_sigkill_leaves_previous_state_or_recovers_to_a_clean_run(
        point, prefect_server, raw_dir, db_path, tmp_path, clean_after_change, seeded):
    after_a_run(seeded, db_path)
    before = snapshot(db_path)
    change_inputs(raw_dir)

    proc, marker = start(raw_dir, db_path, prefect_server, pause=point, tmp=tmp_path)
    wait_for(marker, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    staged = lambda: list(db_path.parent.glob(f".{db_path.name}.staging-*"))  # noqa: E731
    assert staged()  # the killed run's checked batches, left behind...

    after_kill = snapshot(db_path)
    if point == "after_commit":
        assert content(db_path) == clean_after_change  # the commit is durable
    else:
        assert after_kill == before  # nothing of the killed run is visible
        # ...except that the ledger shows it never finished.
        assert query(db_path, "select status from load_runs order by started_at") == [("completed",), ("running",)]

    recovery = run(raw_dir, db_path, prefect_server)  # the lock died with the process
    assert recovery.returncode == 0, recovery.stderr[-2000:]
    assert not staged()  # ...and removed by the next run
    assert content(db_path) == clean_after_change
    assert query(db_path, "select count(*) from fact_changes where change = 'changed' and metric = "
                          "'cybertipline_reports_to_law_enforcement' and new_value = 8470") == [(1,)]


def test_second_writer_fails_clearly_or_waits_and_result_equals_one_run(
        prefect_server, raw_dir, db_path, tmp_path, seeded):
    first, marker = start(raw_dir, db_path, prefect_server, pause="parse", tmp=tmp_path, pause_seconds=6)
    wait_for(marker, first)
    refused = run(raw_dir, db_path, prefect_server)
    assert refused.returncode == 2
    message = refused.stderr.strip().splitlines()[-1]
    assert f"pid {first.pid}" in message and "--wait" in message

    waited = run(raw_dir, db_path, prefect_server, "--wait", "120")
    assert waited.returncode == 0, waited.stderr[-2000:]
    assert first.wait(timeout=120) == 0
    assert content(db_path) == content(seeded)  # as one run over the same files
    assert query(db_path, "select count(*) from load_runs where status = 'completed'") == [(2,)]


def test_reader_waits_out_a_load(prefect_server, raw_dir, db_path, tmp_path, seeded):
    after_a_run(seeded, db_path)
    change_inputs(raw_dir)
    loader, marker = start(raw_dir, db_path, prefect_server, pause="load", tmp=tmp_path, pause_seconds=4)
    wait_for(marker, loader)
    started = time.monotonic()
    reader = subprocess.run([NCMEC, "query", "--db", str(db_path), "--format", "csv",
                             "select count(*) as n from facts"], capture_output=True, text=True, timeout=120)
    assert reader.returncode == 0, reader.stderr
    assert time.monotonic() - started > 1  # it met the lock and waited rather than failing
    # ... and said so at once, naming the run it waited for.
    assert f"is in use by ncmec run pid {loader.pid} " in reader.stderr and "waiting up to 30 s" in reader.stderr
    # Before (31) or after (31 + NH 2022's 11 state and 9 national + OH 2023's 11), never half.
    assert reader.stdout.splitlines()[-1] in {"31", "62"}
    assert loader.wait(timeout=120) == 0


def test_sql_looking_file_names_are_only_data(prefect_server, raw_dir, db_path):
    evil = raw_dir / "x'); drop table facts; --.txt"
    shutil.copyfile(VARIANTS / "nh_2022_wrap72.txt", evil)
    result = run(raw_dir, db_path, prefect_server)
    assert result.returncode == 0, result.stderr[-2000:]
    assert query(db_path, "select status from documents where source_file = ?", [evil.name]) == [("loaded",)]
    assert query(db_path, "select count(*) from facts where geo = 'NH'")[0][0] == 11


def test_unchanged_rerun_parses_nothing_and_changes_nothing(prefect_server, raw_dir, db_path, seeded):
    after_a_run(seeded, db_path)
    before = snapshot(db_path)
    assert run(raw_dir, db_path, prefect_server).returncode == 0
    assert snapshot(db_path) == before
    assert query(db_path, "select files_parsed from load_runs order by started_at") == [(2,), (0,)]


def test_renamed_and_copied_files_are_reused_not_reparsed(prefect_server, raw_dir, db_path, seeded):
    after_a_run(seeded, db_path)
    (raw_dir / "wisconsin_2023.txt").rename(raw_dir / "wi.txt")
    shutil.copyfile(RAW / "illinois_2023.txt", raw_dir / "il_copy.txt")
    assert run(raw_dir, db_path, prefect_server).returncode == 0
    assert query(db_path, "select files_parsed from load_runs order by started_at") == [(2,), (0,)]
    assert dict(query(db_path, "select source_file, status from documents")) == {
        "wi.txt": "loaded", "wisconsin_2023.txt": "removed", "illinois_2023.txt": "loaded", "il_copy.txt": "duplicate"}
    assert query(db_path, "select count(*) from facts") == [(31,)]


def test_unusable_warehouse_path_is_one_line(prefect_server, raw_dir, tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    result = run(raw_dir, not_a_dir / "ncmec.duckdb", prefect_server)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "does not exist" in result.stderr
