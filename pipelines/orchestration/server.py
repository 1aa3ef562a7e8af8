"""`ncmec server start|stop|status`: a Prefect server of this project's own, in the background.

Its Prefect home is `.prefect/` in the folder the command runs in (the clone's root for `make
run`): the server's database, its log and its pid file are the project's, not the user's
`~/.prefect`. It listens on 127.0.0.1 only, with analytics off. `ncmec run` uses it when it runs
and the user has set no PREFECT_API_URL of their own (`configured`), so its runs stay in its
UI; without it Prefect starts a temporary server for each run (about 10 s) that leaves nothing.

The server is Prefect's own `prefect server start`, in a session of its own with its output in
`.prefect/server.log`. (`prefect server start --background` would do the same, but sends the
server's output to a pipe that closes when the command returns: no log to read when it fails.)
Its pid goes to Prefect's pid file too, so `prefect server stop` with this PREFECT_HOME stops it.
Nothing here imports Prefect but `configured`: `status` answers at once.

What a start costs, measured on a 2-core machine (scripts/server_start_times.py, and Prefect's
start phase by phase): every start spends about 3 s of CPU importing Prefect's server; the first
start in a folder about 4 s more on Alembic's 114 migrations, which create its database; Prefect's
registration of its block types 1-2 s of a first start and 0.5 s of later ones (memoised), which
the project's server skips (`_environment`). The UI and the services cost next to nothing at
start. It is all CPU, so a machine busy with other work stretches it (a first start once took 46 s).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from pipelines.orchestration.prefect_api import HOST, healthy

HOME = ".prefect"
DEFAULT_PORT = 4200
START_TIMEOUT = 120.0  # seconds; a first start took 46 s on a 2-core machine shared with other work
STOP_TIMEOUT = 30.0
POLL = 0.2  # seconds between health checks while it starts
# What a start takes, in seconds: medians on a 2-core machine shared with other work (load average
# 2-3), scripts/server_start_times.py --rounds 5 on 2026-12-08: first starts 10.1 s (5), later 5.1 s
# (10); on the machine at rest about 8 and 4 s.
TYPICAL_FIRST = 10  # the first start in a folder, which creates the server's database
TYPICAL_LATER = 5
STATE = "ncmec-server.json"  # pid and port of the server that `ncmec server start` started
PREFECT_PID = "server.pid"  # Prefect's own, read by `prefect server stop`
LOG = "server.log"


class ServerError(Exception):
    """The server cannot be started or stopped; the message is one line for the user."""


class PortTaken(ServerError):
    """The port is held by another process; pipelines/orchestration/holder.py says whose."""

    def __init__(self, port: int) -> None:
        super().__init__(f"port {port} on {HOST} is in use by another program; choose another with --port")
        self.port = port


@dataclass(frozen=True)
class Server:
    home: Path
    pid: int
    port: int

    @property
    def ui_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.ui_url}/api"

    @property
    def log(self) -> Path:
        return self.home / LOG


def home_dir(base: Path | None = None) -> Path:
    """The project's Prefect home: `.prefect/` in `base`, the current folder by default."""
    return (Path.cwd() if base is None else Path(base)).absolute() / HOME


def _alive(pid: int) -> bool:
    """Whether the process runs (a child of ours that ended is reaped, so it does not count)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:  # not our child: the usual case, `ncmec server start` has returned
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: the pid was reused
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    # Where /proc tells, a reused pid is not taken for the server.
    return not cmdline.exists() or b"prefect" in cmdline.read_bytes()


def port_free(port: int) -> bool:
    """Whether the port can be bound on the loopback address (as Prefect checks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def record(home: Path) -> Server | None:
    """What `ncmec server start` recorded in this home (the server may have ended since)."""
    try:
        state = json.loads((home / STATE).read_text("utf-8"))
        return Server(home, int(state["pid"]), int(state["port"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def recorded(home: Path) -> Server | None:
    """The server `ncmec server start` started from this home, if it still runs (answering or
    not); the record of one that ended is removed."""
    server = record(home)
    if server is None:
        return None
    if _alive(server.pid):
        return server
    _forget(home)
    return None


def running(home: Path) -> Server | None:
    """The project's server, if it runs and answers: what `ncmec run` uses."""
    server = recorded(home)
    return server if server is not None and healthy(server.port) else None


def _forget(home: Path) -> None:
    for name in (STATE, PREFECT_PID):
        (home / name).unlink(missing_ok=True)


def _environment(home: Path, port: int) -> dict[str, str]:
    """The server's settings. Prefect's catalogue of block types is not registered unless the
    user asks (PREFECT_API_BLOCKS_REGISTER_ON_START=true): the product uses no blocks, and the
    registration cost 1-2 s of a first start (about 10 s) and 0.5 s of later ones. A block that
    a user's code saves registers its own type."""
    return {"PREFECT_API_BLOCKS_REGISTER_ON_START": "false", **os.environ, "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_API_URL": f"http://{HOST}:{port}/api"}  # the UI calls the API at this address


def first_start(home: Path) -> bool:
    """Whether a start would create the server's database (its migrations: seconds more)."""
    return not (home / "prefect.db").exists()


def _launch(home: Path, port: int) -> subprocess.Popen:
    """`prefect server start` in a session of its own (the terminal's Ctrl-C or hang-up does not
    reach it), its output in the log."""
    env = _environment(home, port)
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", HOST, "--port", str(port),
               "--analytics-off"]
    with open(home / LOG, "wb") as log:
        return subprocess.Popen(command, env=env, cwd=home, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _last_line(log: Path) -> str:
    try:
        lines = [line.strip() for line in log.read_text("utf-8", errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return f' (it ends: "{lines[-1][:200]}")' if lines else ""


def _wait_ready(server: Server, proc: subprocess.Popen, timeout: float,
                on_wait: Callable[[float], None]) -> None:
    began = time.monotonic()
    while not healthy(server.port):
        waited = time.monotonic() - began
        code = proc.poll()
        if code is not None:
            raise ServerError(f"the Prefect server exited (code {code}) before it answered; "
                              f"its log is {server.log}{_last_line(server.log)}")
        if waited > timeout:
            raise ServerError(f"the Prefect server did not answer on {server.api_url} after {waited:.0f} s "
                              f"(--timeout {timeout:g}), so it was stopped; its log is {server.log}"
                              f"{_last_line(server.log)}")
        on_wait(waited)
        time.sleep(POLL)


def start(home: Path, port: int = DEFAULT_PORT, timeout: float = START_TIMEOUT,
          on_wait: Callable[[float], None] = lambda waited: None) -> Server:
    """Start the project's server on the port and wait until it answers (`on_wait` is called
    with the seconds waited so far, a few times a second); a server that does not answer in
    time is stopped again."""
    current = recorded(home)
    if current is not None:
        raise ServerError(f"this project's Prefect server already runs (pid {current.pid}, {current.ui_url}); "
                          "`ncmec server stop` stops it")
    if not port_free(port):
        raise PortTaken(port)
    home.mkdir(parents=True, exist_ok=True)
    proc = _launch(home, port)
    server = Server(home, proc.pid, port)
    (home / STATE).write_text(json.dumps({"pid": server.pid, "port": port}) + "\n", "utf-8")
    (home / PREFECT_PID).write_text(str(server.pid), "utf-8")
    try:
        _wait_ready(server, proc, timeout, on_wait)
    except BaseException:  # Ctrl-C too: no half-started server is left
        _terminate(server.pid, STOP_TIMEOUT)
        _forget(home)
        raise
    return server


def _terminate(pid: int, timeout: float) -> None:
    """Ctrl-C (SIGINT) to the server's session, SIGKILL if it has not ended in time. (Prefect
    3.8.8's server shuts down cleanly on SIGINT; on SIGTERM, which `prefect server stop` sends,
    it dies at once.)"""
    for sig, wait in ((signal.SIGINT, timeout), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pid, sig)  # a session leader: its group's id is its pid
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.2)
    raise ServerError(f"the Prefect server (pid {pid}) did not end, even when killed")


def stop(home: Path, timeout: float = STOP_TIMEOUT) -> Server:
    """Stop the project's server; an error when none runs."""
    server = recorded(home)
    if server is None:
        raise ServerError(f"no Prefect server of this project is running (none recorded in {home})")
    _terminate(server.pid, timeout)
    _forget(home)
    return server


def used(local: Server | None, api_url: str | None, ui_url: str | None) -> str:
    """Which Prefect server a run uses, and its UI, as a line of the run's output."""
    if local is not None:
        return f"Prefect server: this project's (ncmec server), UI {local.ui_url}"
    if api_url:
        return f"Prefect server: {api_url} (PREFECT_API_URL), UI {ui_url or 'unknown'}"
    return ("Prefect server: a temporary one, gone after the run (`ncmec server start` keeps one running, "
            f"its UI at http://{HOST}:{DEFAULT_PORT})")


@contextmanager
def configured(temporary: bool = True) -> Iterator[str]:
    """The Prefect settings of a run from an entry point (`ncmec run`, `python flows.py`), unless
    the user set them: the project's server if it runs, else (with `temporary`) a temporary one,
    started sooner than Prefect would (pipelines/orchestration/ephemeral.py) and given more than the default
    20 s to start on a busy 2-core machine; no telemetry (these machines reach no endpoint, and
    trying logs an error); no heartbeats (a run waits for their thread, which sleeps in whole
    seconds, and only a deployment's crash detection reads them). Yields which server the run
    uses, for its output."""
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL, temporary_settings
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY as HEARTBEATS
    from prefect.settings import PREFECT_SERVER_ANALYTICS_ENABLED as ANALYTICS
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS as STARTUP
    from prefect.settings.legacy import Setting

    from pipelines.orchestration import ephemeral

    local = None if PREFECT_API_URL.value() else running(home_dir())
    defaults: dict[Setting, object] = {STARTUP: 120, ANALYTICS: False, HEARTBEATS: None}
    if local:
        defaults[PREFECT_API_URL] = local.api_url
    user_set = {n.replace("_RUNNER_HEARTBEAT", "_FLOWS_HEARTBEAT") for n in os.environ}  # and its older name
    with temporary_settings(updates={k: v for k, v in defaults.items() if k.name not in user_set}):
        using = used(local, PREFECT_API_URL.value(), PREFECT_UI_URL.value())
        with ephemeral.temporary() if temporary else nullcontext():
            yield using
