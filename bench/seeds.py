"""The two seeds in raw/ (a small run is Prefect's fixed cost), where its seconds go, and how
fast the read-only commands start."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

from endtoend import stages
from measure import BIN, Measure, PrefectServer, log, measure, median

REPO = Path(__file__).resolve().parents[1]
# Lines of `ncmec run`'s output that mark a phase's end; the time each arrived is the phase's end.
MILESTONES = {
    "server_started": r"Starting temporary server",
    "flow_began": r"Beginning flow run",
    "flow_finished": r"Flow run '[^']*' - Finished in state",
    "server_stopping": r"Stopping temporary server",
}


def milestones(m: Measure) -> dict[str, float]:
    found = {"total": m.seconds}
    for key, pattern in MILESTONES.items():
        for at, line in m.lines:
            if re.search(pattern, line):
                found[key] = at
                break
    return found


def _python(code: str) -> float:
    return measure([sys.executable, "-c", code], dict(os.environ), memory=False).seconds


def imports(repeat: int) -> dict[str, float]:
    """Median seconds of a bare interpreter and of the imports a run starts with."""
    found: dict[str, list[float]] = {"python": [], "import prefect": [], "import flows": []}
    for _ in range(max(repeat, 3)):
        found["python"].append(_python("pass"))
        found["import prefect"].append(_python("import prefect"))
        found["import flows"].append(_python("import flows"))
    return {k: median(v) for k, v in found.items()}


def two_seeds(work: Path, server: PrefectServer, repeat: int) -> dict[str, Any]:
    """`ncmec run` over raw/ into a fresh warehouse, with the running server and with none."""
    result: dict[str, Any] = {"running": [], "temporary": []}
    cmd = [str(BIN / "ncmec"), "run", "--raw", str(REPO / "raw")]
    for label, running in (("running", True), ("temporary", False)):
        # One unmeasured run first: the server's first flow run and a cold page cache are not the
        # steady state a user meets. Memory is not sampled: this is a time target, and the sampler
        # walks /proc every 50 ms on a 2-core machine.
        for i in range(repeat + 1):
            db = work / f"seeds-{label}.duckdb"
            for stale in work.glob(db.name + "*"):
                stale.unlink()
            m = measure([*cmd, "--db", str(db)], server.env(running), memory=False)
            if i == 0:
                continue
            result[label].append({"milestones": milestones(m), "stages": stages(db)})
            log(f"two seeds, {'running server' if running else 'no server'} #{i}: {m.seconds:.1f} s")
    result["imports"] = imports(repeat)
    log("imports: " + ", ".join(f"{k} {v:.2f} s" for k, v in result["imports"].items()))
    return result


def read_only(work: Path, server: PrefectServer, times: int = 5) -> dict[str, float]:
    """Median wall seconds of each read-only command, `times` invocations each."""
    db = str(work / "seeds-running.duckdb")
    commands = {
        "ncmec query": ["query", "--db", db, "select count(*) from facts"],
        "ncmec status": ["status", "--db", db],
        "ncmec parse": ["parse", str(REPO / "raw" / "wisconsin_2023.txt")],
        "ncmec explain": ["explain", "WI", "2023", "missing_child_cases", "--db", db],
        "ncmec --version": ["--version"],
    }
    found = {}
    for label, args in commands.items():
        found[label] = median([measure([str(BIN / "ncmec"), *args], server.env(True), memory=False).seconds
                               for _ in range(times)])
        log(f"{label}: {found[label]:.2f} s")
    return found
