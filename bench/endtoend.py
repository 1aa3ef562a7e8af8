"""End-to-end runs: the floor and the real `ncmec run` on the same flat archive, in turn."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import duckdb
from measure import BIN, Measure, PrefectServer, log, measure
from sheetcpu import floor_path

STAGES = ("decode", "extract", "validate", "load")


def floor_line(m: Measure) -> dict[str, float]:
    """The floor's own summary line: docs=, rows=, parse_s=, load_s=, total_s=."""
    found = re.search(r"docs=(\d+) rows=(\d+) parse_s=([\d.]+) load_s=([\d.]+) total_s=([\d.]+)", m.output)
    if not found:
        raise SystemExit(f"the floor printed no summary line:\n{m.output[-2000:]}")
    return dict(zip(("docs", "rows", "parse_s", "load_s", "total_s"), map(float, found.groups()), strict=True))


def stages(db: Path) -> dict[str, float]:
    """The last run's own stage seconds and counts (load_runs), the one that parsed files."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("""select decode_seconds, extract_seconds, validate_seconds, load_seconds,
                                    epoch(finished_at) - epoch(started_at), files_parsed, files_duplicate,
                                    files_rejected, facts, observations
                             from load_runs where status = 'completed' and files_parsed > 0
                             order by started_at desc limit 1""").fetchone()
    finally:
        con.close()
    if row is None:
        raise SystemExit(f"{db}: no completed run that parsed files")
    keys = (*STAGES, "in_flow", "parsed", "duplicate", "rejected", "facts", "observations")
    return {k: float(v) for k, v in zip(keys, row, strict=True)}


def _fresh(db: Path) -> Path:
    for stale in db.parent.glob(db.name + "*"):
        stale.unlink()
    return db


def run_floor(raw: Path, db: Path) -> dict[str, Any]:
    m = measure([sys.executable, str(floor_path()), str(raw), str(_fresh(db))], dict(os.environ))
    return {"seconds": m.seconds, "peak_mib": m.peak_mib, "line": floor_line(m)}


def run_project(raw: Path, db: Path, env: dict[str, str], fresh: bool = True) -> dict[str, Any]:
    if fresh:
        _fresh(db)
    m = measure([str(BIN / "ncmec"), "run", "--raw", str(raw), "--db", str(db)], env)
    return {"seconds": m.seconds, "peak_mib": m.peak_mib}


def _rounds(label: str, raw: Path, db: Path, server: PrefectServer, repeat: int, rerun: bool) -> dict[str, Any]:
    """Floor, then project into a fresh warehouse (running server), then a no-change re-run if asked:
    `repeat` times in turn."""
    result: dict[str, Any] = {"floor": [], "project": [], "rerun": [], "stages": []}
    env = server.env(True, PREFECT_LOGGING_LEVEL="WARNING")
    for i in range(repeat):
        result["floor"].append(run_floor(raw, db.with_name("floor-" + db.name)))
        result["project"].append(run_project(raw, db, env))
        result["stages"].append(stages(db))
        f, p = result["floor"][-1]["seconds"], result["project"][-1]["seconds"]
        note = f"{label} #{i + 1}: floor {f:.1f} s, project {p:.1f} s ({p / f:.2f}x)"
        if rerun:
            result["rerun"].append(run_project(raw, db, env, fresh=False))
            note += f", no-change re-run {result['rerun'][-1]['seconds']:.1f} s"
        log(note)
    return result


def run_size(n: int, raw: Path, work: Path, server: PrefectServer, repeat: int, temporary: bool) -> dict[str, Any]:
    """The byte-distinct archive: floor, project and no-change re-run, `repeat` times; once without a server."""
    result = {"n": n, "temporary": [], **_rounds(f"N={n:,}", raw, work / f"project-{n}.duckdb", server, repeat, True)}
    if temporary:
        env = server.env(False, PREFECT_LOGGING_LEVEL="WARNING")
        result["temporary"].append(run_project(raw, work / f"project-{n}-temporary.duckdb", env))
        log(f"N={n:,} without a server: {result['temporary'][-1]['seconds']:.1f} s")
    return result


def run_crawl(n: int, raw: Path, work: Path, server: PrefectServer, repeat: int) -> dict[str, Any]:
    """The crawl archive (byte-identical snapshots): floor and project into a fresh warehouse."""
    return {"n": n, **_rounds(f"crawl N={n:,}", raw, work / f"project-crawl-{n}.duckdb", server, repeat, False)}
