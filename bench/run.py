"""`make bench`: the real `ncmec run` against the shared floor, all in one invocation.

Steps: generate (or reuse) the flat archives (bench/archive.py); check that the floor reads every
sheet; per-sheet CPU of the project's decode + extract and of the floor's loop body; `ncmec report`
at the real scale (616 sheets, tests/bigwarehouse.py); start a Prefect server; the two seeds (with
it and with none) and where their seconds go; the read-only commands; then for each N the floor and
`ncmec run` end to end (running server, `--repeat` times, a no-change re-run each time; no server
once), and the crawl archive at the largest N. The report is rewritten after each step, so an
interrupted run leaves what it measured.

    python bench/run.py [--sizes 1000,10000,50000] [--repeat 3] [--out bench/report.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import archive
import endtoend
import fetching
import pages
import report
import seeds
import sheetcpu
from measure import PrefectServer, log

REPO = Path(__file__).resolve().parents[1]
SAMPLE = 2000


def _ram_gib() -> float:
    with open("/proc/meminfo") as fh:
        return int(fh.readline().split()[1]) / 1024**2


def meta(args: argparse.Namespace) -> dict[str, Any]:
    python = Path(sys.executable)
    command = " ".join([str(python.relative_to(Path.cwd()) if python.is_relative_to(Path.cwd()) else python),
                        *sys.argv])
    return {"date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "node": platform.node(), "cores": os.cpu_count(),
            "ram_gib": _ram_gib(), "python": platform.python_version(), "prefect": version("prefect"),
            "duckdb": version("duckdb"), "command": command, "repeat": args.repeat,
            "floor_path": str(sheetcpu.floor_path()), "floor_sha256": sheetcpu.floor_sha256()}


def archives(sizes: list[int], work: Path) -> dict[str, Path]:
    found = {}
    for kind, n in [("distinct", n) for n in sizes] + [("crawl", sizes[-1])]:
        log(f"archive: {kind} {n:,} sheets ...")
        found[f"{kind}-{n}"] = archive.cached(kind, n, work)
    return found


def check_floor(raw: Path, n: int, work: Path) -> dict[str, Any]:
    """The floor must read every sheet of our archive, or the comparison is unfair."""
    run = endtoend.run_floor(raw, work / "floor-check.duckdb")
    line = run["line"]
    log(f"floor on {raw.name}: " + " ".join(f"{k}={v:g}" for k, v in line.items()))
    if line["docs"] != n:
        raise SystemExit(f"the floor read {line['docs']:.0f} of {n} sheets: fix bench/archive.py, never the floor")
    return {"n": n, "line": line}


def measure_all(args: argparse.Namespace, results: dict[str, Any], save: Callable[[], None]) -> None:
    sizes = sorted(int(s) for s in args.sizes.split(","))
    paths = archives(sizes, args.work)
    results["floor_check"] = check_floor(paths[f"distinct-{sizes[0]}"], sizes[0], args.work)
    big = paths[f"distinct-{sizes[-1]}"]
    log(f"per-sheet CPU over {min(SAMPLE, sizes[-1]):,} sheets ...")
    results["per_sheet"] = {**sheetcpu.per_sheet(big, SAMPLE), "archive": f"byte-distinct {sizes[-1]:,}-sheet",
                            "stages": sheetcpu.stage_times(big, SAMPLE)}
    log("per-sheet CPU: project {project_median_us:,.0f} µs, floor {floor_median_us:,.0f} µs".format(
        **results["per_sheet"]))
    save()
    results["report"] = pages.report_at_scale(args.work, args.repeat)
    save()
    results["fetch"] = fetching.fetch_at_scale(args.work, args.repeat)
    save()
    log("starting a Prefect server ...")
    server = PrefectServer(args.work)
    try:
        results["seeds"] = seeds.two_seeds(args.work, server, args.repeat)
        results["read_only"] = seeds.read_only(args.work, server)
        save()
        results["sizes"] = []
        for n in sizes:
            results["sizes"].append(endtoend.run_size(n, paths[f"distinct-{n}"], args.work, server, args.repeat,
                                                      temporary=True))
            save()
        results["crawl"] = endtoend.run_crawl(sizes[-1], paths[f"crawl-{sizes[-1]}"], args.work, server,
                                              args.repeat)
        save()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "report.md")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite the report from the last run's measurements (WORK/results.json)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    stored = args.work / "results.json"
    if args.report_only:
        args.out.write_text(report.render(json.loads(stored.read_text("utf-8"))), "utf-8")
        return
    results: dict[str, Any] = {"meta": meta(args)}
    log(f"floor: {results['meta']['floor_path']} (sha256 {results['meta']['floor_sha256'][:16]}...)")

    def save() -> None:
        stored.write_text(json.dumps(results, indent=1), "utf-8")
        args.out.write_text(report.render(results), "utf-8")

    measure_all(args, results, save)
    log(f"report written to {args.out}")


if __name__ == "__main__":
    main()
