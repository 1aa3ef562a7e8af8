"""Operations: the scheduled deployment, `ncmec serve`, a run's artifacts, and retries only on
steps that may succeed later. (PDF intake: test_pdf.py; Dask: test_flow.py.)"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from conftest import REPO, query

NCMEC = str(Path(sys.executable).parent / "ncmec")


def _deployment(name: str):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_deployment_by_name(f"ncmec-warehouse/{name}")


def _artifacts(flow_run_id) -> dict:
    """A flow run's artifacts by key. (The client's read_artifacts() sends null fields that
    fastapi 0.154 rejects with a 422, so the filter is posted as the UI does.)"""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import Artifact

    with get_client(sync_client=True) as client:
        response = client.request("POST", "/artifacts/filter", json={
            "artifacts": {"flow_run_id": {"any_": [str(flow_run_id)]}}, "sort": "CREATED_DESC",
            "limit": 50, "offset": 0})
    response.raise_for_status()
    return {a.key: a for a in Artifact.model_validate_list(response.json())}


def test_the_deployment_runs_the_flow_on_its_cron_schedule(prefect_server, raw_dir, db_path):
    from flows import deployment

    deployment("weekly-test", "0 6 * * 1", "America/Chicago", str(raw_dir), str(db_path)).apply()
    served = _deployment("weekly-test")
    [schedule] = served.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone, schedule.active) == (
        "0 6 * * 1", "America/Chicago", True)
    assert served.parameters == {"raw": str(raw_dir.resolve()), "db": str(db_path.resolve())}


def test_ncmec_serve_registers_its_schedule_and_stops_on_ctrl_c(prefect_server, raw_dir, db_path, tmp_path):
    temporary = tmp_path / "tmp"  # serve's temporary folder: nothing may be left in it
    temporary.mkdir()
    env = {**os.environ, "PREFECT_API_URL": prefect_server, "TMPDIR": str(temporary)}
    proc = subprocess.Popen([NCMEC, "serve", "--name", "served-test", "--cron", "30 5 * * *",
                             "--raw", str(raw_dir), "--db", str(db_path)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    from prefect.exceptions import ObjectNotFound

    try:
        deadline = time.monotonic() + 120
        while True:  # registered, and its runner polling for scheduled runs
            try:
                if _deployment("served-test").last_polled is not None:
                    break
            except ObjectNotFound:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[0][-2000:]
            time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "Traceback" not in output, output[-2000:]
    served = _deployment("served-test")
    assert served.schedules[0].schedule.cron == "30 5 * * *"
    assert served.paused  # Ctrl-C pauses the schedule
    assert [str(p.relative_to(temporary)) for p in temporary.rglob("*")] == []


@pytest.mark.parametrize("args, message", [
    # Both ways out: this folder's `ncmec server` (the test's folder has none), or PREFECT_API_URL.
    ([], "no Prefect server to serve against: no `ncmec server` runs in this folder (its home would be {home}), "
         "and PREFECT_API_URL is not set; start one with `ncmec server start` here, or set PREFECT_API_URL"),
    (["--cron", "every monday"], 'Invalid cron string: "every monday"'),
    (["--timezone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
])
def test_serve_refuses_in_one_line(args, message, prefect_server, raw_dir, db_path, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    if args:
        env["PREFECT_API_URL"] = prefect_server
    result = subprocess.run([NCMEC, "serve", "--raw", str(raw_dir), "--db", str(db_path), *args],
                            env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    message = message.format(home=tmp_path / ".prefect")
    assert result.returncode == 2 and message in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr


def test_a_run_publishes_its_validation_summary_and_logs_each_rejected_file(prefect_server, raw_dir, db_path,
                                                                          caplog, request):
    from flows import warehouse_flow

    shutil.copyfile(REPO / "tests" / "variants" / "not_a_fact_sheet_recipe.txt", raw_dir / "recipe.txt")
    shutil.copyfile(REPO / "tests" / "variants" / "reject_breakdown_nv_2023.txt", raw_dir / "nv.txt")
    prefect_logs = logging.getLogger("prefect")
    if not prefect_logs.propagate:  # Prefect's own logging set-up; caplog watches the root logger
        prefect_logs.addHandler(caplog.handler)
        request.addfinalizer(lambda: prefect_logs.removeHandler(caplog.handler))
    for _ in ("first run", "unchanged re-run: the same artifacts"):
        state = warehouse_flow(raw=str(raw_dir), db=str(db_path), return_state=True)
        artifacts = _artifacts(state.state_details.flow_run_id)
        summary = artifacts["ncmec-validation-summary"]
        assert summary.type == "markdown"
        assert "| recipe.txt | not_a_fact_sheet |" in summary.data and "| breakdown_sums | 4 |" in summary.data
        counts = json.loads(artifacts["ncmec-run-counts"].data)
        assert {"kind": "file status", "name": "loaded", "count": 3} in counts
        assert {"kind": "file status", "name": "rejected", "count": 1} in counts
        assert {"kind": "check", "name": "breakdown_sums", "count": 4} in counts
        logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("rejected ")]
        reason = query(db_path, "select reason from documents where status = ?", ["rejected"])[0][0]
        assert logged == [f"rejected recipe.txt (not_a_fact_sheet): {reason}"]
        caplog.clear()


def test_only_steps_that_may_pass_are_retried(prefect_server, raw_dir, tmp_path, monkeypatch):
    """A busy warehouse file is retried (and the run completes); a failure of our own is not."""
    from flows import warehouse_flow
    from pipelines.store import load

    calls, real_load = [], load.load

    def busy_once(*args, **kwargs):
        calls.append("busy")
        if len(calls) == 1:
            raise duckdb.IOException('IO Error: Could not set lock on file "ncmec.duckdb" (simulated)')
        return real_load(*args, **kwargs)

    monkeypatch.setattr(load, "load", busy_once)
    summary = warehouse_flow(raw=str(raw_dir), db=str(tmp_path / "a.duckdb"))
    assert calls == ["busy", "busy"] and summary.stats.facts == 31

    def broken(*args, **kwargs):
        calls.append("broken")
        raise ValueError("a row failed the schema (simulated)")

    calls.clear()
    monkeypatch.setattr(load, "load", broken)
    with pytest.raises(ValueError, match="simulated"):
        warehouse_flow(raw=str(raw_dir), db=str(tmp_path / "b.duckdb"))
    assert calls == ["broken"]
    assert query(tmp_path / "b.duckdb", "select status from load_runs") == [("failed",)]
