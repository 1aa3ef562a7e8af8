"""Issue 13's targets (and issue 5's kept ones), each judged met or NOT met on the measurements."""

from __future__ import annotations

from typing import Any

from measure import median
from pages import LIMIT_BYTES, LIMIT_S

from pipelines.orchestration.run import IN_PROCESS_FILES

READ_ONLY_LIMIT_S = 0.5
SEEDS_LIMIT_S = 3.0


def secs(runs: list[dict[str, Any]]) -> float:
    return median([r["seconds"] for r in runs])


def peak(runs: list[dict[str, Any]]) -> float:
    return median([r["peak_mib"] for r in runs])


def _mark(ok: bool) -> str:
    return "met" if ok else "**NOT met**"


def _row(target: str, measured: str, ok: bool) -> str:
    return f"| {target} | {measured} | {_mark(ok)} |"


def _per_sheet(r: dict[str, Any]) -> list[str]:
    cpu = r.get("per_sheet")
    if not cpu:
        return []
    p, f = cpu["project_median_us"], cpu["floor_median_us"]
    return [_row("Per-sheet cost: decode + extract at or below the floor's per-sheet CPU",
                 f"project {p:,.0f} µs, floor {f:,.0f} µs ({p / f:.1f}x)", p <= f)]


def _sizes(r: dict[str, Any]) -> list[str]:
    sizes = r.get("sizes") or []
    if not sizes:
        return []
    big = sizes[-1]
    ratio = secs(big["project"]) / secs(big["floor"])
    rerun = secs(big["rerun"]) / secs(big["project"])
    # Flat: judged between sizes parsed alike, on workers. A run of up to IN_PROCESS_FILES new files
    # parses in its own process (no workers), so its smaller peak says nothing about growth.
    pooled = [z for z in sizes if z["n"] > IN_PROCESS_FILES]
    small = pooled[0] if len(pooled) > 1 else big
    top, first = peak(big["project"]), peak(small["project"])
    flat = top <= 1.25 * first  # one size alone cannot show growth: judged on the limit only
    against = (f"; {first:,.0f} MiB at N = {small['n']:,} (flat: within 25%; runs of up to {IN_PROCESS_FILES:,} "
               "files parse without workers and are not compared)" if small is not big
               else " (fewer than two sizes on workers: flatness not judged)")
    lines = [_row(f"{big['n']:,} byte-distinct sheets, running server: at most 1.0x the floor",
                  f"{secs(big['project']):.1f} s vs {secs(big['floor']):.1f} s ({ratio:.2f}x)", ratio <= 1.0)]
    if big["temporary"]:
        alone = secs(big["temporary"]) / secs(big["floor"])
        lines.append(f"| (reported, no target) the same without a server | {secs(big['temporary']):.1f} s "
                     f"({alone:.2f}x) | |")
    lines += [
        _row("Peak memory under 1 GiB and flat in N (issue 5)",
             f"{top:,.0f} MiB at N = {big['n']:,}{against}", top < 1024 and flat),
        _row("No-change re-run under 10% of a full run (issue 5)",
             f"{secs(big['rerun']):.1f} s of {secs(big['project']):.1f} s ({rerun:.0%})", rerun < 0.10),
    ]
    return lines


def _crawl(r: dict[str, Any]) -> list[str]:
    crawl = r.get("crawl")
    if not crawl:
        return []
    ratio = secs(crawl["project"]) / secs(crawl["floor"])
    return [_row(f"Crawl archive ({crawl['n']:,} byte-identical snapshots): at most 0.5x the floor",
                 f"{secs(crawl['project']):.1f} s vs {secs(crawl['floor']):.1f} s ({ratio:.2f}x)", ratio <= 0.5)]


def _seeds(r: dict[str, Any]) -> list[str]:
    seeds = r.get("seeds")
    if not seeds:
        return []
    running = median([s["milestones"]["total"] for s in seeds["running"]])
    temporary = median([s["milestones"]["total"] for s in seeds["temporary"]])
    return [_row("Two seeds, running server: at most 3 s", f"{running:.1f} s", running <= SEEDS_LIMIT_S),
            f"| (reported, no target) two seeds from a fresh shell, no server | {temporary:.1f} s "
            "(breakdown below) | |"]


def _read_only(r: dict[str, Any]) -> list[str]:
    found = r.get("read_only") or {}
    return [_row(f"`{label}` starts in under {READ_ONLY_LIMIT_S} s", f"{s:.2f} s", s < READ_ONLY_LIMIT_S)
            for label, s in found.items()]


def _report(r: dict[str, Any]) -> list[str]:
    found = r.get("report")
    if not found:
        return []
    return [_row(f"`ncmec report` of {found['sheets']} sheets (56 places, 11 years) in under {LIMIT_S:g} s "
                 "(issue 22)", f"{found['seconds']:.1f} s", found["seconds"] < LIMIT_S),
            _row(f"... and its page under {LIMIT_BYTES / 1e6:g} MB (issue 22)", f"{found['bytes'] / 1e6:.2f} MB, "
                 f"peak {found['peak_mib']:,.0f} MiB", found["bytes"] < LIMIT_BYTES)]


def targets(r: dict[str, Any]) -> list[str]:
    rows = [*_per_sheet(r), *_sizes(r), *_crawl(r), *_seeds(r), *_read_only(r), *_report(r)]
    met = sum(row.endswith("| met |") for row in rows)
    judged = sum(row.endswith(("| met |", "**NOT met** |")) for row in rows)
    return ["## Targets (issue 13)", "", f"{met} of {judged} met.", "", "| target | measured | |", "|---|---|---|",
            *rows, ""]
