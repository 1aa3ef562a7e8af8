"""How the benchmark measures a command: wall time, peak memory of its process tree, the time
each line of its output arrived; and a Prefect server to run against."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
STARTED = time.perf_counter()


def log(message: str) -> None:
    """One line of progress, with the seconds since the benchmark started."""
    print(f"[{time.perf_counter() - STARTED:7.1f} s] {message}", flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


@dataclass
class Measure:
    seconds: float
    peak_mib: float
    # (seconds since start, line) for each line of output, stdout and stderr merged
    lines: list[tuple[float, str]] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "\n".join(line for _, line in self.lines)


def _tree_rss_kib(root: int) -> int:
    """Summed VmRSS of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def measure(cmd: list[str], env: dict[str, str], memory: bool = True) -> Measure:
    """Wall time, peak summed RSS (sampled every 50 ms) and timed output lines of a command."""
    peak, lines = 0, []
    env = {**env, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    if memory:
        sampler.start()
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append((time.perf_counter() - started, line.rstrip("\n")))
    proc.wait()
    seconds = time.perf_counter() - started
    done.set()
    if memory:
        sampler.join()
    if proc.returncode != 0:
        tail = "\n".join(line for _, line in lines[-40:])
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{tail}")
    return Measure(seconds, peak / 1024, lines)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrefectServer:
    """`prefect server start` on a free local port, its home in the work folder.

    `env(True)` runs a command against it; `env(False)` against no server at all (PREFECT_API_URL
    unset: Prefect starts a temporary server per run), with a home of its own so the two never
    share a database."""

    def __init__(self, work: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        base = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        base["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
        self.running = {**base, "PREFECT_HOME": str(work / "prefect-home"), "PREFECT_API_URL": self.url}
        self.temporary = {**base, "PREFECT_HOME": str(work / "prefect-home-temporary")}
        server_env = {k: v for k, v in self.running.items() if k != "PREFECT_API_URL"}
        self.proc = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                                      "--port", str(self.port)], env=server_env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise SystemExit("the Prefect server did not start within 180 s")

    def env(self, server: bool, **extra: str) -> dict[str, str]:
        return {**(self.running if server else self.temporary), **extra}

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
