"""bench/report.md from the measurements of one `make bench` (a JSON-able dict)."""

from __future__ import annotations

from typing import Any

from endtoend import STAGES
from measure import median
from targets import peak, secs, targets

ARCHIVES = (
    "Archives (bench/archive.py), flat folders as the floor reads them: *byte-distinct*, N files whose bytes all "
    "differ (616 place-years 2014-2024, each in up to 1,920 cosmetic variants: bold, line endings, wrap width, "
    "table separator, trailing newline, curly quotes, leading blank lines; values agree across variants); "
    "*crawl*, N byte-identical copies of the 616 sheets, as a daily crawl keeps each download.")
SIZES_NOTE = (
    "Peak memory is the largest summed RSS of the command's process tree (the run and its parse workers), "
    "sampled every 50 ms. Stage seconds are the run's own (load_runs): decode, extract and the batch checks "
    "of validate are seconds summed over the parse workers; the checks across documents (in validate) and the "
    "load are wall seconds in the main process.")


def _header(meta: dict[str, Any]) -> list[str]:
    return [
        "# Benchmark: `ncmec run` against the shared floor",
        "",
        f"Measured {meta['date']} on {meta['node']}: {meta['cores']} cores, {meta['ram_gib']:.0f} GiB RAM, "
        f"Python {meta['python']}, Prefect {meta['prefect']}, DuckDB {meta['duckdb']}. "
        f"Medians of {meta['repeat']} run(s) unless said otherwise; everything below comes from one invocation:",
        "",
        f"    {meta['command']}",
        "",
        f"Floor: `{meta['floor_path']}` (sha256 `{meta['floor_sha256']}`), run unchanged: literal-anchored "
        "regexes, one Arrow bulk load into DuckDB, one core, no validation, lineage, dedupe or orchestration.",
        "",
        ARCHIVES,
        "",
    ]


def _per_sheet(cpu: Any, r: dict[str, Any]) -> list[str]:
    sizes = r.get("sizes") or []
    lines = [
        "## Per-sheet CPU",
        "",
        f"{cpu['sheets']:,.0f} sheets spread over the {cpu['archive']} archive, each timed with "
        "`time.process_time_ns` in one process, after a warm-up, the two sides taking turns on each file. "
        "Project: `pipelines.extract.sheet.parse_bytes(data, name)` on the file's bytes (decode + extract, the "
        "sha256 included). Floor: its loop body, statement for statement, with its module's own WS, TITLE, "
        "YEAR and RX (imported from its file). Both include reading the file.",
        "",
        "| | median µs/sheet | mean µs/sheet |",
        "|---|---|---|",
        f"| project | {cpu['project_median_us']:,.0f} | {cpu['project_mean_us']:,.0f} |",
        f"| floor | {cpu['floor_median_us']:,.0f} | {cpu['floor_mean_us']:,.0f} |",
        "",
        f"The floor's loop found {cpu['floor_docs']:,.0f} of the {cpu['sheets']:,.0f} sheets.",
    ]
    if sizes:
        big = sizes[-1]
        parse_s = median([f["line"]["parse_s"] for f in big["floor"]])
        docs = big["floor"][-1]["line"]["docs"]
        lines.append(f"Cross-check, the floor's own figures at N = {big['n']:,}: parse_s = {parse_s:.3f} "
                     f"for docs = {docs:,.0f}, {parse_s / docs * 1e6:,.0f} µs per sheet (wall, reading included).")
    return [*lines, "", *_stages(cpu)]


def _stages(cpu: Any) -> list[str]:
    """Where the project's per-sheet CPU goes, stage by stage."""
    stages = dict(cpu.get("stages") or {})
    total = stages.pop("total", 0.0)
    if not total:
        return []
    lines = ["Where a sheet's CPU goes: each stage's function timed (`time.process_time_ns`) as parse_bytes calls "
             f"it, over the same sheets, in a pass of its own (mean {total:,.0f} µs a sheet, the timers included):",
             "", "| stage | mean µs/sheet | share |", "|---|---|---|"]
    lines += [f"| {label} | {us:,.0f} | {us / total:.0%} |" for label, us in stages.items()]
    return [*lines, ""]


def _size_row(s: dict[str, Any]) -> str:
    floor, project, rerun = secs(s["floor"]), secs(s["project"]), secs(s["rerun"])
    alone = f"{secs(s['temporary']):.1f} | {secs(s['temporary']) / floor:.2f}" if s["temporary"] else "- | -"
    st = [median([x[k] for x in s["stages"]]) for k in STAGES]
    return (f"| {s['n']:,} | {floor:.1f} | {s['floor'][-1]['line']['docs']:,.0f} | {project:.1f} | "
            f"{project / floor:.2f} | {alone} | {peak(s['floor']):,.0f} | {peak(s['project']):,.0f} | "
            f"{rerun:.1f} | {rerun / project:.0%} | " + " | ".join(f"{x:.1f}" for x in st) + " |")


def _sizes(sizes: list[dict[str, Any]], r: dict[str, Any]) -> list[str]:
    return [
        "## End to end, byte-distinct archive",
        "",
        "Floor: `python floor.py DIR DB`. Project: `ncmec run --raw DIR --db DB` into a fresh warehouse against "
        "a running Prefect server (`prefect server start`, started once by the benchmark), then the same "
        "command again over the unchanged inputs (no-change re-run). Without a server: PREFECT_API_URL unset, "
        "so Prefect starts a temporary server inside the run; measured once per size, not repeated (it "
        "costs a full run each time).",
        "",
        "| N | floor s | floor docs | project s | project / floor | no server s (once) | no server / floor "
        "| peak MiB floor | peak MiB project | no-change re-run s | re-run / full | decode s | extract s "
        "| validate s | load s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *[_size_row(s) for s in sizes],
        "",
        SIZES_NOTE,
        "",
    ]


def _crawl(c: Any, r: dict[str, Any]) -> list[str]:
    floor, project = secs(c["floor"]), secs(c["project"])
    keys = ("parsed", "duplicate", "facts", "in_flow", "decode", "extract", "validate", "load")
    st = {k: median([x[k] for x in c["stages"]]) for k in keys if all(k in x for x in c["stages"])}
    lines = [
        "## End to end, crawl archive",
        "",
        f"N = {c['n']:,} files, byte-identical copies of {st['parsed']:,.0f} distinct sheets; fresh warehouse, "
        "running server.",
        "",
        "| floor s | floor docs | project s | project / floor | files parsed | duplicates | facts |",
        "|---|---|---|---|---|---|---|",
        f"| {floor:.1f} | {c['floor'][-1]['line']['docs']:,.0f} | {project:.1f} | {project / floor:.2f} | "
        f"{st['parsed']:,.0f} | {st['duplicate']:,.0f} | {st['facts']:,.0f} |",
        "",
    ]
    if "in_flow" in st:
        outside = project - st["in_flow"]
        lines += [f"Where the project's {project:.1f} s go (medians, the run's own load_runs): {st['in_flow']:.1f} s "
                  f"from the run's start to its end as the warehouse records them (the inventory of every file, "
                  f"hashing each, among them; decode {st['decode']:.1f} s, extract {st['extract']:.1f} s, validate "
                  f"{st['validate']:.1f} s, load {st['load']:.1f} s), and {outside:.1f} s before and after it "
                  "(Python, imports, the CLI, Prefect's flow run and task runs, the summary).", ""]
    return lines


def _phase_rows(runs: list[dict[str, Any]], temporary: bool) -> list[tuple[str, float]]:
    """The median seconds of each phase of a run, from the times its output lines arrived."""
    def gap(a: str | None, b: str) -> float:
        return median([m["milestones"].get(b, float("nan")) - (m["milestones"].get(a, float("nan")) if a else 0.0)
                       for m in runs])

    inside = {k: median([m["stages"][k] for m in runs]) for k in STAGES}
    first = "server_started" if temporary else "flow_began"
    rows = [("start: Python, imports, CLI" + (", until the temporary server starts" if temporary else
                                              ", API client, flow run created"), gap(None, first))]
    if temporary:
        rows.append(("temporary server start, flow run created", gap("server_started", "flow_began")))
    rows += [("the flow, first to last log line", gap("flow_began", "flow_finished"))]
    rows += [(f"&nbsp;&nbsp;of which {k} (load_runs)", inside[k]) for k in STAGES]
    rows += [("&nbsp;&nbsp;of which the rest (task orchestration, inventory, resolve, publish)",
              gap("flow_began", "flow_finished") - sum(inside[k] for k in STAGES))]
    end = "server_stopping" if temporary else "total"
    rows.append(("after the flow: summary printed" + (", until the server stops" if temporary else ", exit"),
                 gap("flow_finished", end)))
    if temporary:
        rows.append(("temporary server stop, exit", gap("server_stopping", "total")))
    rows.append(("**total**", gap(None, "total")))
    return rows


def _seeds(s: Any, r: dict[str, Any]) -> list[str]:
    lines = ["## Two seeds (raw/)", "",
             "`ncmec run --raw raw --db DB` into a fresh warehouse; where the seconds go, from the time each "
             "line of the run's output arrived (Prefect's own log lines mark the phases) and the run's own "
             "stage seconds. A fresh shell with no server: PREFECT_API_URL unset, so Prefect starts and "
             "stops a temporary server in the run (its database already made by an earlier run). Each mode has one "
             "unmeasured warm-up run first, and memory is not sampled in these runs.", ""]
    for label, key in (("running server", "running"), ("no server (fresh shell)", "temporary")):
        rows = _phase_rows(s[key], key == "temporary")
        lines += [f"| {label} | s |", "|---|---|", *[f"| {name} | {value:.2f} |" for name, value in rows], ""]
    return [*lines, _where(s), ""]


def _rest(seconds: float) -> str:
    """The start's seconds beyond importing the flow (imports timed apart: they may come out ahead)."""
    if seconds < 0.05:
        return "nothing measurable beyond it (the imports, timed apart, take as long as the whole start)"
    return (f"the other {seconds:.1f} s the CLI and Prefect's own set-up until the server's start is logged "
            "(not broken down further)")


def _where(s: dict[str, Any]) -> str:
    """Where a fresh shell's seconds go, in one paragraph."""
    imp = s["imports"]
    t = dict(_phase_rows(s["temporary"], True))
    server = t["temporary server start, flow run created"] + t["temporary server stop, exit"]
    stages = sum(t[f"&nbsp;&nbsp;of which {k} (load_runs)"] for k in STAGES)
    start, flows = t[next(iter(t))], imp["import flows"] - imp["python"]
    return (f"Where a fresh shell's {t['**total**']:.1f} s go: {server:.1f} s are Prefect's temporary server "
            f"(starting it and creating the flow run, then stopping it), {start:.1f} s the start before it, of "
            f"which importing the flow takes {flows:.2f} s (`import prefect` alone "
            f"{imp['import prefect'] - imp['python']:.2f} s, each measured apart in a new interpreter; a bare "
            f"`python` starts in {imp['python']:.2f} s) and {_rest(start - flows)}, and "
            f"{t['the flow, first to last log line']:.1f} s the flow, of which the run's own stages "
            f"(decode, extract, validate, load) take {stages:.2f} s.")


def _read_only(found: Any, r: dict[str, Any]) -> list[str]:
    return ["## Read-only commands", "",
            "Median wall seconds of 5 invocations each, over the two seeds' warehouse.", "",
            "| command | s |", "|---|---|", *[f"| `{k}` | {v:.2f} |" for k, v in found.items()], ""]


def _fetch(f: Any, r: dict[str, Any]) -> list[str]:
    return ["## Fetching the sheets of a year", "",
            f"`ncmec fetch --delay 0 --strict` of the {f['sheets']} sheets of a year, as PDFs ({f['pdf_bytes']:,} "
            "bytes in all) on a web server on 127.0.0.1 (tests/sheetserver.py), into an empty raw folder and a new "
            "warehouse; then again, each sheet a conditional request answered 304; beside them the floor on the "
            "same sheets as text, from disk (bench/fetching.py). Median wall seconds of each.", "",
            "| | s | vs floor |", "|---|---|---|",
            f"| first fetch ({f['sheets']} new) | {f['first']:.2f} | {f['first'] / f['floor']:.1f}x |",
            f"| fetch again ({f['sheets']} unchanged, 304) | {f['again']:.2f} | {f['again'] / f['floor']:.1f}x |",
            f"| floor (reads the text, loads DuckDB) | {f['floor']:.2f} | 1x |", "",
            f"The server answered {f['requests']:,} requests; {f['unconditional']:,} of them unconditional (the "
            "first fetch of each round). With the default `--delay 1`, a fetch of 56 sheets from one server takes "
            "55 s more, by design.", ""]


SECTIONS = (("per_sheet", _per_sheet), ("sizes", _sizes), ("crawl", _crawl), ("seeds", _seeds),
            ("read_only", _read_only), ("fetch", _fetch))


def render(r: dict[str, Any]) -> str:
    """The report; a section whose measurements are not there yet (an interrupted run) is left out."""
    lines = [*_header(r["meta"]), *targets(r)]
    for key, section in SECTIONS:
        if r.get(key):
            lines += section(r[key], r)
    return "\n".join(lines)
