"""Whose process holds a port, and which servers of `ncmec server start` run from other folders:
what `ncmec server start` says instead of "another program" when its port is taken, and what
`ncmec server status` and `ncmec serve` add when this folder has no server.

A server's home is `.prefect/` of the folder it was started in, so the same command in another
folder finds the port taken by a server it does not know. Facts, not guesses from a command
line, tell whose it is: the process listening on the port (psutil), its Prefect home (what the
server's own API answers at /api/admin/settings, else the process's PREFECT_HOME), and whether
`ncmec server start` recorded that very process in that home (ncmec-server.json names its pid).
psutil is imported here only, when a command asks: the others start without it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipelines.orchestration import server
from pipelines.orchestration.prefect_api import HOST, ask

API_TIMEOUT = 1.0  # seconds; a socket that listens but never answers costs no more than this


@dataclass(frozen=True)
class Holder:
    port: int
    pid: int | None  # None when psutil cannot tell (another user's process)
    program: str | None  # the process's name
    home: Path | None  # its Prefect home, when it is a Prefect server
    ncmec: bool  # started by `ncmec server start` in the folder of `home`

    @property
    def ui_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def folder(self) -> Path | None:
        return self.home.parent if self.home is not None else None


def _listener(port: int) -> int | None:
    """The pid of the process listening on the port on the loopback address (or all addresses)."""
    import psutil

    try:
        connections = psutil.net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return None
    for c in connections:
        if (c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port
                and c.laddr.ip in (HOST, "0.0.0.0", "::", "::ffff:127.0.0.1") and c.pid):
            return int(c.pid)
    return None


def _process_home(pid: int) -> tuple[str | None, Path | None]:
    """The process's name and the PREFECT_HOME in its environment (None where not allowed to see)."""
    import psutil

    try:
        process = psutil.Process(pid)
        name = process.name()
        home = process.environ().get("PREFECT_HOME")
    except (psutil.Error, OSError):
        return None, None
    return name, Path(home) if home else None


def _api_home(port: int) -> Path | None:
    """The Prefect home that the server on the port says it runs from: None if what answers is no
    Prefect API (or nothing answers in time)."""
    answer = ask(port, "/api/admin/settings", API_TIMEOUT)
    try:
        home = json.loads(answer[1]).get("home") if answer else None
    except (ValueError, AttributeError):  # not JSON, or not an object: no Prefect API
        return None
    return Path(home) if isinstance(home, str) and home else None


def _recorded_as(home: Path, pid: int | None, port: int) -> bool:
    """Whether `ncmec server start` in that home recorded this server (its pid, when known, and port)."""
    found = server.record(home)
    return found is not None and found.port == port and (pid is None or found.pid == pid)


def holder(port: int) -> Holder:
    """Who holds the port: the listening process, and the Prefect server it is, if it is one."""
    pid = _listener(port)
    program, env_home = _process_home(pid) if pid is not None else (None, None)
    api_home = _api_home(port)
    home = api_home or (env_home if env_home is not None and _recorded_as(env_home, pid, port) else None)
    return Holder(port, pid, program, home, home is not None and _recorded_as(home, pid, port))


def _same(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def elsewhere(home: Path) -> list[Holder]:
    """The servers that `ncmec server start` started from other folders and that still run,
    found by their processes (each recorded in its home with its pid)."""
    import psutil

    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        if not any("prefect" in part for part in process.info["cmdline"] or ()):
            continue
        program, other = _process_home(process.info["pid"])
        started = server.record(other) if other is not None else None
        if other is not None and started is not None and started.pid == process.info["pid"] \
                and not _same(other, home):
            found.append(Holder(started.port, started.pid, program, other, True))
    return sorted(found, key=lambda h: h.port)


def whose(h: Holder) -> str:
    """The holder in words: whose server it is, its pid, its UI."""
    pid = f"pid {h.pid}" if h.pid is not None else "pid unknown"
    if h.ncmec and h.folder is not None:
        return f"the ncmec server of {h.folder} (its home {h.home}, {pid}, UI {h.ui_url})"
    if h.home is not None:
        return f"a Prefect server that `ncmec server start` did not start (its home {h.home}, {pid}, UI {h.ui_url})"
    known = ", ".join(x for x in (h.program, f"pid {h.pid}" if h.pid is not None else None) if x)
    return f"another program ({known})" if known else "another program"


def taken(port: int) -> str:
    """Why `ncmec server start` cannot use the port, and what to do: one line."""
    h = holder(port)
    if h.ncmec:
        return (f"port {port} on {HOST} is held by {whose(h)}: use it from that folder (`ncmec server status` "
                "there), stop it there with `ncmec server stop`, or start this folder's own with --port")
    if h.home is not None:
        return f"port {port} on {HOST} is held by {whose(h)}: stop it, or choose another port with --port"
    return f"port {port} on {HOST} is in use by {whose(h)}; choose another with --port"


def no_server(home: Path) -> str:
    """Why `ncmec serve` (or `python flows.py serve`) has no server to serve against, and both ways
    out: one line."""
    here = server.recorded(home)
    if here is not None:
        why, fix = (f"this folder's `ncmec server` (pid {here.pid}) does not answer on {here.ui_url}",
                    "wait until `ncmec server status` says it runs")
    else:
        why, fix = (f"no `ncmec server` runs in this folder (its home would be {home})",
                    "start one with `ncmec server start` here")
    line = (f"no Prefect server to serve against: {why}, and PREFECT_API_URL is not set; {fix}, or set "
            "PREFECT_API_URL to a running server's API (http://HOST:PORT/api)")
    for h in elsewhere(home):
        line += (f"; the ncmec server of {h.folder} runs ({h.ui_url}): serve there, or set "
                 f"PREFECT_API_URL={h.ui_url}/api")
    return line
