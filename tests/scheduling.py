"""What the tests of real scheduled runs share (tests/test_scheduled.py, tests/test_scheduled_fetch.py):
`prefect server start` on a free loopback port, `ncmec serve --cron "* * * * *"` against it, the
server's API read as its UI reads it, and the check that nothing is left once both are stopped.

Nothing here uses the session's test harness: the harness runs no scheduler service. The server
and `ncmec serve` are the venv's own commands with PREFECT_HOME in the test's temporary folder,
and every process they start is watched, so a test can show that none is left behind.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import psutil
from realprocesses import BIN, SERVER_START, Processes, free_port, healthy, living, port_open, until

REPO = Path(__file__).resolve().parents[1]
REGISTER = 120  # `ncmec serve` imports Prefect and the flow, then registers the deployment
EVERY_MINUTE = "every-minute"  # the deployment's name
ENDED_BADLY = ("FAILED", "CRASHED", "CANCELLED")


def start_server(procs: Processes, env: dict[str, str], cwd: Path) -> int:
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


def start_serve(procs: Processes, env: dict[str, str], api_url: str, cwd: Path, *args: str) -> None:
    """`ncmec serve` on the cron schedule every minute against the server at `api_url`, with
    `args` (--raw, --db, --fetch...). A scheduled run starts in the runner's working folder, not
    here: the deployment's paths are absolute (flows.deployment). The code it runs is this
    checkout's (PYTHONPATH), whichever checkout the venv's editable install points to."""
    path = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    procs.start("serve", [str(BIN / "ncmec"), "serve", "--name", EVERY_MINUTE, "--cron", "* * * * *", *args],
                {**env, "PREFECT_API_URL": api_url, "PREFECT_RUNNER_POLL_FREQUENCY": "5", "PYTHONPATH": path}, cwd)


def registered(api: httpx.Client, procs: Processes, flow: str) -> str:
    """The id of the deployment `ncmec serve` registers for `flow`, once it has."""
    return until(f"ncmec serve registering its deployment of {flow}", REGISTER,
                 lambda: deployment_id(api, flow, EVERY_MINUTE), procs, "server", "serve")


def deployment_id(api: httpx.Client, flow: str, name: str) -> str | None:
    response = api.get(f"/deployments/name/{flow}/{name}")
    return None if response.status_code == 404 else response.raise_for_status().json()["id"]


def posted(api: httpx.Client, path: str, body: dict) -> list[dict]:
    """A filter posted as the UI does. (Prefect 3.8.8's client helpers, read_flow_runs() and
    read_artifacts(), send null fields that fastapi 0.154 rejects with a 422.)"""
    return api.post(path, json={**body, "offset": 0, "limit": 50}).raise_for_status().json()


def runs(api: httpx.Client, deployment: str, procs: Processes) -> list[dict]:
    """The deployment's flow runs in the order they were scheduled; fails as soon as one ended
    badly, with the end of serve's output."""
    found = posted(api, "/flow_runs/filter", {"deployments": {"id": {"any_": [deployment]}},
                                              "sort": "EXPECTED_START_TIME_ASC"})
    failed = [r for r in found if r["state_type"] in ENDED_BADLY]
    assert not failed, f"a scheduled run ended {failed[0]['state_type']}: {failed[0]['state']}\n{procs.tail('serve')}"
    return found


def completed(api: httpx.Client, deployment: str, procs: Processes) -> list[dict]:
    """The deployment's COMPLETED flow runs, in the order they were scheduled."""
    return [r for r in runs(api, deployment, procs) if r["state_type"] == "COMPLETED"]


def artifacts(api: httpx.Client, flow_run_id: str) -> dict[str, dict]:
    """A flow run's artifacts by key."""
    return {a["key"]: a for a in posted(api, "/artifacts/filter", {
        "artifacts": {"flow_run_id": {"any_": [flow_run_id]}}, "sort": "CREATED_DESC"})}


def stop_serve(procs: Processes) -> None:
    """Ctrl-C: `ncmec serve` ends cleanly (which pauses the schedule), with no traceback logged,
    its flow runs' included (they log to its output)."""
    assert procs.stop("serve") == 0, procs.tail("serve")
    assert "Traceback" not in procs.tail("serve", chars=10**7), procs.tail("serve")


def nothing_left(procs: Processes, children_before: set[int], port: int) -> None:
    """After the server is stopped: no process the test started or saw below them (the flow runs'
    among them), no new child of the test's own, and the server's port closed."""
    assert any("prefect.engine" in command for _, command in procs.seen.values()), procs.seen
    assert procs.alive() == []
    assert living(psutil.Process().children(recursive=True), but=children_before) == []
    assert not port_open(port), f"port {port} still open after the server stopped"
