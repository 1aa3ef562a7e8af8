"""A real scheduled run (issue 14): `prefect server start` on a free loopback port, `ncmec serve
--cron "* * * * *"` against it, and the run that the server's scheduler creates, end to end.

Nothing here uses the session's test harness: the harness runs no scheduler service. The server
and `ncmec serve` are the venv's own commands with PREFECT_HOME in the test's temporary folder,
and every process they start is watched, so the test can show that none is left behind.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import psutil
import pytest
from conftest import query
from realprocesses import BIN, SERVER_START, Processes, environment, free_port, healthy, living, port_open, until

pytestmark = pytest.mark.scheduled

# The first scheduled run: the deployment registered, the scheduler's loop, the cron minute
# (up to 60 s), the runner's poll, then the run itself.
FIRST_RUN = 180
REGISTER = 120  # `ncmec serve` imports Prefect and the flow, then registers the deployment
ARTIFACTS = {"ncmec-validation-summary", "ncmec-run-counts"}
SEED_FACTS = 31


def _start_server(procs: Processes, env: dict[str, str], cwd: Path) -> int:
    """`prefect server start` on a free loopback port, healthy; returns the port. The port is
    free when chosen but bound only after the server's imports (seconds): if another process took
    it meanwhile, the server exits saying so, and another port is tried."""
    for _ in range(3):
        port = free_port()
        server = procs.start("server", [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                                        "--port", str(port)], env, cwd)
        deadline = time.monotonic() + SERVER_START
        while server.poll() is None and time.monotonic() < deadline:
            if healthy(port):
                return port
            time.sleep(0.5)
        if server.poll() is None or "already in use" not in procs.tail("server"):
            break
    raise AssertionError(f"the server's health endpoint: not within {SERVER_START} s, or the server ended\n"
                         + procs.tail("server"))


def _deployment_id(api: httpx.Client, name: str) -> str | None:
    response = api.get(f"/deployments/name/ncmec-warehouse/{name}")
    return None if response.status_code == 404 else response.raise_for_status().json()["id"]


def _posted(api: httpx.Client, path: str, body: dict) -> list[dict]:
    """A filter posted as the UI does. (Prefect 3.8.8's client helpers, read_flow_runs() and
    read_artifacts(), send null fields that fastapi 0.154 rejects with a 422.)"""
    return api.post(path, json={**body, "offset": 0, "limit": 50}).raise_for_status().json()


def _first_completed_run(api: httpx.Client, deployment_id: str, procs: Processes) -> dict | None:
    runs = _posted(api, "/flow_runs/filter", {"deployments": {"id": {"any_": [deployment_id]}},
                                              "sort": "EXPECTED_START_TIME_ASC"})
    failed = [r for r in runs if r["state_type"] in ("FAILED", "CRASHED", "CANCELLED")]
    assert not failed, f"a scheduled run ended {failed[0]['state_type']}: {failed[0]['state']}\n{procs.tail('serve')}"
    return next((r for r in runs if r["state_type"] == "COMPLETED"), None)


def test_a_scheduled_run_completes_against_a_real_server(tmp_path, raw_dir, db_path, processes):
    home = tmp_path / "prefect-home"
    home.mkdir()
    env = environment(home)
    timings, t0 = {}, time.monotonic()
    children_before = {p.pid for p in psutil.Process().children(recursive=True)}

    port = _start_server(processes, env, tmp_path)
    url = f"http://127.0.0.1:{port}/api"
    timings["server healthy"] = time.monotonic() - t0
    with httpx.Client(base_url=url, timeout=10, trust_env=False) as api:
        # A scheduled run starts in the runner's working folder, not here: the deployment's
        # paths are absolute (flows.deployment).
        processes.start("serve", [str(BIN / "ncmec"), "serve", "--name", "every-minute", "--cron", "* * * * *",
                                  "--raw", str(raw_dir), "--db", str(db_path)],
                        {**env, "PREFECT_API_URL": url, "PREFECT_RUNNER_POLL_FREQUENCY": "5"}, tmp_path)
        deployment_id = until("ncmec serve registering its deployment", REGISTER,
                               lambda: _deployment_id(api, "every-minute"), processes, "server", "serve")
        timings["deployment registered"] = time.monotonic() - t0
        run = until("a scheduled run COMPLETED", FIRST_RUN,
                     lambda: _first_completed_run(api, deployment_id, processes), processes, "server", "serve")
        timings["run completed"] = time.monotonic() - t0

        # Ctrl-C before anything else: it pauses the schedule, so no later run writes the
        # warehouse while it is read.
        assert processes.stop("serve") == 0, processes.tail("serve")
        assert "Traceback" not in processes.tail("serve", chars=10**7), processes.tail("serve")
        assert run["auto_scheduled"] and run["deployment_id"] == deployment_id, run  # the scheduler's, not a manual one

        assert query(db_path, "select count(*) from facts") == [(SEED_FACTS,)]
        # The run's row in the ledger names its flow run, and its page on this server.
        ledger = query(db_path, "select status, files_loaded, flow_run_url from load_runs where flow_run_id = ?",
                       [run["id"]])
        page = f"http://127.0.0.1:{port}/runs/flow-run/{run['id']}"
        assert ledger == [("completed", 2, page)], query(db_path, "select * from load_runs")

        artifacts = {a["key"]: a for a in _posted(api, "/artifacts/filter", {
            "artifacts": {"flow_run_id": {"any_": [run["id"]]}}, "sort": "CREATED_DESC"})}
        assert ARTIFACTS <= artifacts.keys(), sorted(artifacts)
        counts = json.loads(artifacts["ncmec-run-counts"]["data"])
        assert {"kind": "file status", "name": "loaded", "count": 2} in counts, counts

    processes.stop("server")
    timings["all stopped"] = time.monotonic() - t0
    # Nothing left: no process the test started or saw below them (the flow run's among them),
    # no new child of the test's own, and the server's port closed.
    assert any("prefect.engine" in command for _, command in processes.seen.values()), processes.seen
    assert processes.alive() == []
    assert living(psutil.Process().children(recursive=True), but=children_before) == []
    assert not port_open(port), f"port {port} still open after the server stopped"
    print(", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
