"""The Prefect flow end to end, under prefect_test_harness with Prefect's home in a temp folder."""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

import pytest
from conftest import query, snapshot

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def flow(prefect_server):
    from flows import warehouse_flow

    return lambda raw, db: warehouse_flow(raw=str(raw), db=str(db))


def test_seeds_give_31_facts_as_in_the_sheets(flow, raw_dir, db_path):
    summary = flow(raw_dir, db_path)
    assert summary.stats.facts == 31 and summary.stats.rejections == 0
    facts = {(g, y, m): (v, q) for g, y, m, v, q in
             query(db_path, "select geo, year, metric, value, qualifier from facts")}
    expected = {}
    for name in ("wisconsin_2023", "illinois_2023"):
        golden = json.loads((GOLDEN / f"{name}.json").read_text("utf-8"))
        for o in golden["observations"]:
            expected[(o["geo"], 2023, o["metric"])] = (o["value"], o["qualifier"])
    assert facts == expected
    # Every row of the run carries its load_id; the ledger says it completed.
    for table in ("documents", "observations", "facts", "metrics", "geos"):
        assert query(db_path, f"select distinct load_id from {table}") == [(summary.stats.load_id,)]
    assert query(db_path, "select status, files_seen, files_loaded, facts from load_runs") == [("completed", 2, 2, 31)]
    # Evidence is traceable: the stored text at the offsets is the evidence.
    assert query(db_path, """select count(*) from observations o join documents d using (source_file)
                             where substr(d.text, o.char_start + 1, o.char_end - o.char_start) <> o.evidence"""
                 ) == [(0,)]


def test_rerun_over_unchanged_inputs_changes_nothing(flow, raw_dir, db_path):
    flow(raw_dir, db_path)
    before = snapshot(db_path)
    second = flow(raw_dir, db_path)
    assert snapshot(db_path) == before
    assert (second.stats.facts_added, second.stats.facts_changed, second.stats.facts_removed) == (0, 0, 0)
    assert query(db_path, "select count(*) from load_runs where status = 'completed'") == [(2,)]


def test_removed_file_takes_its_values_out_of_facts(flow, raw_dir, db_path):
    flow(raw_dir, db_path)
    (raw_dir / "illinois_2023.txt").unlink()
    summary = flow(raw_dir, db_path)
    assert query(db_path, "select count(*) from facts where geo = 'IL'") == [(0,)]
    assert query(db_path, "select count(*) from facts") == [(20,)]
    assert query(db_path, "select status from documents where source_file = 'illinois_2023.txt'") == [("removed",)]
    assert query(db_path, "select count(*) from fact_changes where change = 'removed' and load_id = ?",
                 [summary.stats.load_id]) == [(11,)]


def test_bad_inputs_cost_nothing_else(flow, raw_dir, db_path):
    (raw_dir / "empty.txt").write_bytes(b"")
    (raw_dir / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    (raw_dir / "notes.txt").write_text("Shopping list: eggs, milk. In 2023, 12 eggs.")
    (raw_dir / "sub").mkdir()
    shutil.copyfile(raw_dir / "wisconsin_2023.txt", raw_dir / "sub" / "wi_copy.txt")
    summary = flow(raw_dir, db_path)
    s = summary.stats
    assert (s.files_seen, s.files_loaded, s.files_duplicate, s.files_rejected) == (6, 2, 1, 3)
    assert s.files_seen == s.files_loaded + s.files_duplicate + s.files_rejected
    assert s.facts == 31
    assert {(f, c) for f, c, _ in summary.rejected_files} == {
        ("empty.txt", "empty"), ("photo.txt", "binary"), ("notes.txt", "not_a_fact_sheet")}
    assert sorted(query(db_path, 'select source_file, "check" from rejections where metric is null')) == [
        ("empty.txt", "empty"), ("notes.txt", "not_a_fact_sheet"), ("photo.txt", "binary")]
    # A copy's row names its bytes (sha256) but does not hold their text a second time.
    assert sorted(query(db_path, """select status, text is null from documents
                                    where source_file in ('wisconsin_2023.txt', 'sub/wi_copy.txt')""")) == [
        ("duplicate", True), ("loaded", False)]


def test_a_failed_load_leaves_the_warehouse_as_it_was(flow, raw_dir, db_path, monkeypatch):
    from pipelines.store import load

    flow(raw_dir, db_path)
    before = snapshot(db_path)
    (raw_dir / "illinois_2023.txt").unlink()
    real_replace = load._replace

    def failing_replace(con, table, *args):
        if table == "facts":
            raise RuntimeError("disk full (simulated)")
        real_replace(con, table, *args)

    monkeypatch.setattr(load, "_replace", failing_replace)
    with pytest.raises(RuntimeError, match="simulated"):
        flow(raw_dir, db_path)
    assert snapshot(db_path) == before
    assert query(db_path, "select status, error from load_runs order by started_at") == [
        ("completed", None), ("failed", "RuntimeError: disk full (simulated)")]


@pytest.mark.parametrize("runner", ["process-pool", "dask-local-cluster", "dask-at-an-address"])
def test_parsing_on_workers_gives_the_same_warehouse(runner, prefect_server, raw_dir, tmp_path):
    """One file per batch on two worker processes (a process pool, a Dask cluster the run
    starts, a Dask cluster already running): the same tables as parsing in-process."""
    from flows import warehouse_flow

    shutil.copyfile(Path(__file__).parent / "variants" / "nh_2022_wrap72.txt", raw_dir / "nh.txt")
    with contextlib.ExitStack() as stack:
        options = {"batch_size": 1, "workers": 2}
        if runner.startswith("dask"):
            options["task_runner"] = "dask"
        if runner == "dask-at-an-address":
            from distributed import LocalCluster

            cluster = stack.enter_context(LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                                       dashboard_address=None))
            options["dask_address"] = cluster.scheduler_address
        dbs = []
        for name, run_options in ((runner, options), ("inline", {})):
            db = tmp_path / f"{name}.duckdb"
            summary = warehouse_flow(raw=str(raw_dir), db=str(db), **run_options)
            assert summary.stats.files_parsed == 3
            dbs.append(db)
        if runner == "dask-at-an-address":  # the batches went to that cluster
            assert "parse_batch" in cluster.scheduler.task_prefixes
    tables = ("observations", "facts", "rejections")
    strip = lambda rows: sorted(r[:-1] for r in rows)  # noqa: E731  (load_id is the last column)
    for table in tables:
        assert strip(query(dbs[0], f"select * from {table}")) == strip(query(dbs[1], f"select * from {table}"))
    assert query(dbs[0], "select count(*) from facts") == [(51,)]


def test_parse_workers_import_no_warehouse_libraries():
    """A parse worker imports flows.py to find its task; pandas, pandera and DuckDB (about 85 MiB
    a process) are for the main process only, so importing flows must not bring them in."""
    import subprocess
    import sys

    code = ("import sys, flows; heavy = [m for m in ('pandas', 'pandera', 'duckdb', 'pyarrow') if m in sys.modules]; "
            "print(' '.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == ""
