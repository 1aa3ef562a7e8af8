"""Real processes for the tests that start a Prefect server (tests/test_scheduled.py,
tests/test_server.py): each in a session of its own with its output in a file, every descendant
seen, so that a test can show that none is left behind, and kill them all when it fails."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import httpx
import psutil

BIN = Path(sys.executable).parent
SERVER_START = 120  # seconds; a real server takes 10–20 s on a 2-core machine
STOP = 60


class Processes:
    """The processes the test starts, each in a session of its own with its output in a file, and
    every descendant of theirs seen while they ran (a flow run is a child of `ncmec serve`)."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: dict[str, subprocess.Popen] = {}
        self.seen: dict[int, tuple[psutil.Process, str]] = {}  # pid: the process, its command line
        self.adopted: list[int] = []

    def start(self, name: str, args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
        with open(self.logs / f"{name}.log", "wb") as log:  # a file: a pipe nobody reads can fill and block
            proc = subprocess.Popen(args, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self.started[name] = proc
        self.watch()
        return proc

    def adopt(self, pid: int) -> None:
        """Watch a process the test did not start, a server that a command left in the background."""
        self.adopted.append(pid)
        self.watch()

    def watch(self) -> None:
        for pid in [proc.pid for proc in self.started.values()] + self.adopted:
            try:
                top = psutil.Process(pid)
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
        commands = {p.pid: command for p, command in self.seen.values()}
        return still_running((p for p, _ in self.seen.values()), lambda p: commands[p.pid])

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


def deliver_sigint() -> None:
    """Handle SIGINT in this process if it was started with it ignored, so that every child a test
    starts has it at its default and a test's Ctrl-C reaches it (tests/conftest.py calls this first).
    An ignored signal stays ignored across exec, and a shell starts its background jobs (`make
    test &` in a script) with SIGINT ignored: the child's Python would then install no
    KeyboardInterrupt, nor asyncio.run its handler, and `ncmec serve` would go on serving until
    killed. A handled signal is reset to its default at exec."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def living(procs: list[psutil.Process], but: set[int]) -> list[str]:
    left = []
    for p in procs:
        try:
            if p.pid not in but and p.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{p.pid} {' '.join(p.cmdline())[:200]}")
        except psutil.NoSuchProcess:
            pass
    return left


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def environment(home: Path) -> dict[str, str]:
    """The test's environment without any Prefect setting of the developer's (a profile, an API
    URL), with a Prefect home of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_SERVER_UI_ENABLED="false")  # nobody looks at it; the API is all the test needs
    return env


def until(what: str, timeout: float, check, procs: Processes, *names: str, every: float = 1.0):
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


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5, trust_env=False).status_code == 200
    except httpx.TransportError:
        return False


def still_running(processes: Iterable[psutil.Process], describe: Callable[[psutil.Process], str]) -> list[str]:
    """"PID WHAT" of each process that runs and is no zombie (psutil compares start times, so a
    reused pid is not taken for the process); `describe` is asked only of those, as they run."""
    left = []
    for p in processes:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{p.pid} {describe(p)}")
        except psutil.NoSuchProcess:  # a zombie's too: ZombieProcess is one
            pass
    return left
