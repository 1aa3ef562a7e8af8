"""How long `ncmec server start` takes: the first start in a folder (Prefect creates the server's
database) and later starts in the same folder, each the wall time of the real command until it
returns, the server answering; `ncmec server stop` after each. The medians are what the help
(pipelines/orchestration/server.py: TYPICAL_FIRST, TYPICAL_LATER) and the README say.

    .venv/bin/python scripts/server_start_times.py [--rounds 5] [--later 2] [--versus NAME=VALUE]...

Each start uses a new temporary folder (or the round's, for later starts) and a free port, and
removes both. --versus also measures the servers with those settings, alternating with the
default in every round, so that both meet the same load: PREFECT_API_BLOCKS_REGISTER_ON_START=true
measures what skipping Prefect's block catalogue saves. The load average is printed too: on a
machine shared with other work the times grow.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NCMEC = str(Path(sys.executable).parent / "ncmec")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _timed_start(folder: Path, env: dict[str, str]) -> float:
    began = time.monotonic()
    done = subprocess.run([NCMEC, "server", "start", "--port", str(_free_port())], cwd=folder, env=env,
                          capture_output=True, text=True)
    took = time.monotonic() - began
    if done.returncode != 0:
        raise SystemExit(f"ncmec server start failed: {done.stderr.strip()}")
    subprocess.run([NCMEC, "server", "stop"], cwd=folder, env=env, capture_output=True, check=True)
    return took


def _round(env: dict[str, str], later: int) -> tuple[float, list[float]]:
    folder = Path(tempfile.mkdtemp(prefix="ncmec-server-times-"))
    try:
        return _timed_start(folder, env), [_timed_start(folder, env) for _ in range(later)]
    finally:
        subprocess.run([NCMEC, "server", "stop"], cwd=folder, env=env, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="first starts (each in a new folder)")
    parser.add_argument("--later", type=int, default=2, help="later starts after each first one")
    parser.add_argument("--versus", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    configs = {"as shipped": base}
    if args.versus:
        configs[" ".join(args.versus)] = {**base, **dict(item.split("=", 1) for item in args.versus)}
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in configs}
    loads = []
    for _ in range(args.rounds):
        for name, env in configs.items():
            first, later = _round(env, args.later)
            times[name][0].append(first)
            times[name][1].extend(later)
        loads.append(os.getloadavg()[0])
    for name, (first, later) in times.items():
        for label, each in ((f"{name}: first start", first), (f"{name}: later start", later)):
            print(f"{label}: median {statistics.median(each):.1f} s of {len(each)} "
                  f"({', '.join(f'{t:.1f}' for t in each)})")
    print(f"{os.cpu_count()} cores, load average (1 min) {min(loads):.1f}-{max(loads):.1f} during the rounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
