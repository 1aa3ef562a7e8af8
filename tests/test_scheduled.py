"""A real scheduled run (issue 14): `prefect server start` on a free loopback port, `ncmec serve
--cron "* * * * *"` against it, and the run that the server's scheduler creates, end to end.

Nothing here uses the session's test harness: the harness runs no scheduler service. The server
and `ncmec serve` are the venv's own commands with PREFECT_HOME in the test's temporary folder,
and every process they start is watched, so the test can show that none is left behind.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from conftest import query

pytestmark = pytest.mark.scheduled

BIN = Path(sys.executable).parent
SERVER_START = 120  # seconds; a real server takes 10–20 s on a 2-core machine
# The first scheduled run: the deployment registered, the scheduler's loop, the cron minute
# (up to 60 s), the runner's poll, then the run itself.
FIRST_RUN = 180
REGISTER = 120  # `ncmec serve` imports Prefect and the flow, then registers the deployment
STOP = 60
ARTIFACTS = {"ncmec-validation-summary", "ncmec-run-counts"}
SEED_FACTS = 31


class Processes:
    """The processes the test starts, each in a session of its own with its output in a file, and
    every descendant of theirs seen while they ran (a flow run is a child of `ncmec serve`)."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: dict[str, subprocess.Popen] = {}
        self.seen: dict[int, tuple[psutil.Process, str]] = {}  # pid: the process, its command line

    def start(self, name: str, args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
        with open(self.logs / f"{name}.log", "wb") as log:  # a file: a pipe nobody reads can fill and block
            proc = subprocess.Popen(args, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self.started[name] = proc
        self.watch()
        return proc

    def watch(self) -> None:
        for proc in self.started.values():
            try:
                top = psutil.Process(proc.pid)
                for p in (top, *top.children(recursive=True)):
                    if p.pid not in self.seen:
                        self.seen[p.pid] = (p, " ".join(p.cmdline())[:200])
            except psutil.NoSuchProcess:
                pass

    def tail(self, name: str, chars: int = 3000) -> str:
        return f"--- {name}.log (end) ---\n" + (self.logs / f"{name}.log").read_text(errors="replace")[-chars:]

    def stop(self, name: str, sig: int = signal.SIGINT, timeout: float = STOP) -> int:
        """Send `sig` (Ctrl-C by default) and wait; SIGKILL the process's session if it hangs."""
        proc = self.started[name]
        self.watch()
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill_session(proc)
                proc.wait(10)
                why = f"{name} did not stop within {timeout} s of signal {sig}"
                raise AssertionError(f"{why}\n{self.tail(name)}") from None
        return proc.returncode

    def alive(self) -> list[str]:
        """Processes seen that still run (pids are checked with their start times: not reused ones)."""
        left = []
        for p, command in self.seen.values():
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    left.append(f"{p.pid} {command}")
            except psutil.NoSuchProcess:
                pass
        return left

    def cleanup(self) -> None:
        """Whatever a failed test left: Ctrl-C, then SIGKILL for every process seen."""
        for proc in reversed(self.started.values()):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    self._kill_session(proc)
                    proc.wait(10)
        for p, _ in self.seen.values():
            try:
                if p.is_running():
                    p.kill()
            except psutil.NoSuchProcess:
                pass

    @staticmethod
    def _kill_session(proc: subprocess.Popen) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # start_new_session: its group id is its pid
        except ProcessLookupError:
            pass


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = Processes(logs)
    try:
        yield procs
    finally:
        procs.cleanup()


def _living(procs: list[psutil.Process], but: set[int]) -> list[str]:
    left = []
    for p in procs:
        try:
            if p.pid not in but and p.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{p.pid} {' '.join(p.cmdline())[:200]}")
        except psutil.NoSuchProcess:
            pass
    return left


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _environment(home: Path) -> dict[str, str]:
    """The test's environment without any Prefect setting of the developer's (a profile, an API
    URL), with a Prefect home of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_SERVER_UI_ENABLED="false")  # nobody looks at it; the API is all the test needs
    return env


def _until(what: str, timeout: float, check, procs: Processes, *names: str, every: float = 1.0):
    """Poll `check()` until it returns something truthy; fail when time runs out or when one of
    the named processes ends, with the end of their output."""
    deadline = time.monotonic() + timeout
    while True:
        procs.watch()
        found = check()
        if found:
            return found
        ended = [n for n in names if procs.started[n].poll() is not None]
        if ended or time.monotonic() > deadline:
            why = f"{', '.join(ended)} ended" if ended else f"not within {timeout:.0f} s"
            raise AssertionError(f"{what}: {why}\n" + "\n".join(procs.tail(n) for n in names))
        time.sleep(every)


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5, trust_env=False).status_code == 200
    except httpx.TransportError:
        return False


def _start_server(procs: Processes, env: dict[str, str], cwd: Path) -> int:
    """`prefect server start` on a free loopback port, healthy; returns the port. The port is
    free when chosen but bound only after the server's imports (seconds): if another process took
    it meanwhile, the server exits saying so, and another port is tried."""
    for _ in range(3):
        port = _free_port()
        server = procs.start("server", [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                                        "--port", str(port)], env, cwd)
        deadline = time.monotonic() + SERVER_START
        while server.poll() is None and time.monotonic() < deadline:
            if _healthy(port):
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
    env = _environment(home)
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
        deployment_id = _until("ncmec serve registering its deployment", REGISTER,
                               lambda: _deployment_id(api, "every-minute"), processes, "server", "serve")
        timings["deployment registered"] = time.monotonic() - t0
        run = _until("a scheduled run COMPLETED", FIRST_RUN,
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
    assert _living(psutil.Process().children(recursive=True), but=children_before) == []
    assert not _port_open(port), f"port {port} still open after the server stopped"
    print(", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
