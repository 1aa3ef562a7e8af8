"""`ncmec status`: the load ledger (last runs), what the warehouse holds, and open rejections, as
text or as one JSON object (and `ncmec run --json`'s object, which lists the open rejections alike).
Everything from the warehouse prints as rich Text after `printable`: a file name or a reason
is never read as markup nor sends a control character to the terminal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from rich import box
from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text

from pipelines.core.printable import printable
from pipelines.outputs import terminal
from pipelines.store import fetches, warehouse

if TYPE_CHECKING:
    from pipelines.orchestration.run import RunSummary

RUN_COLUMNS = ("load_id", "started_at", "finished_at", "status", "files_seen", "files_loaded", "facts",
               "rejections", "error", "flow_run_url")
# What the warehouse holds, by the name JSON gives it, and the label the text shows.
COUNTS = {"observations": "observations", "observations_accepted": "  accepted", "facts": "facts",
          "facts_national": "  national (US)", "rejections": "rejections", "runs": "runs"}
FETCH_STATUSES = ("new", "changed", "unchanged", "listed", "failed")
_OPEN_SQL = ('select source_file, geo, year, metric, "check", reason, evidence from rejections '
             'order by source_file, "check", metric nulls first')


@dataclass(frozen=True)
class Status:
    db: Path
    runs: list[dict]  # newest first
    documents: dict[str, int]  # status -> files
    counts: dict[str, int]  # by the names of COUNTS
    years: list[int]
    places: list[str]
    rejections_by_check: dict[str, int]
    rejections: list[dict]  # the open ones: every row of `rejections`
    last_fetch: list[dict]  # every row of the newest fetch (`ncmec fetch`), none before a first one


def gather(db: Path, runs: int = 5) -> Status:
    """Everything `status` shows, read in one read-only connection."""
    con = warehouse.connect(db, read_only=True)
    try:
        warehouse.require_warehouse(con, db)

        def rows(sql: str, params: Iterable[object] = ()) -> list[dict]:
            return warehouse.rows(con, sql, params)

        def scalar(sql: str) -> int:
            return int(con.execute(sql).fetchall()[0][0])  # a count: always one row

        return Status(
            db=Path(db),
            runs=rows(f"select {', '.join(RUN_COLUMNS)} from load_runs order by started_at desc limit ?", [runs]),
            documents=dict(con.execute(
                "select status, count(*) from documents group by status order by status").fetchall()),
            counts={
                "observations": scalar("select count(*) from observations"),
                "observations_accepted": scalar("select count(*) from observations where accepted"),
                "facts": scalar("select count(*) from facts"),
                "facts_national": scalar("select count(*) from facts where geo = 'US'"),
                "rejections": scalar("select count(*) from rejections"),
                "runs": scalar("select count(*) from load_runs"),
            },
            years=[y for (y,) in con.execute("select distinct year from facts order by year").fetchall()],
            places=[g for (g,) in con.execute(
                "select distinct geo from facts where geo <> 'US' order by geo").fetchall()],
            rejections_by_check=dict(con.execute(
                'select "check", count(*) from rejections group by "check" order by count(*) desc, "check"'
            ).fetchall()),
            rejections=rows(_OPEN_SQL),
            last_fetch=fetches.last(con),
        )
    except duckdb.Error as exc:
        raise warehouse.WarehouseError(f"cannot read {db}: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()


def _text(value: object) -> Text:
    return Text(printable(value))


def _n(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def render(s: Status, console: Console, limit: int = 20) -> None:
    """Print the ledger; `limit` caps the rejection entries (one per file, check and reason)."""
    _render_runs(s, console)
    _render_held(s, console)
    _render_fetch(s.last_fetch, console, limit)
    _render_rejections(s, console, limit)


def _render_runs(s: Status, console: Console) -> None:
    # The load id starts with the run's start time (UTC), so it needs no column of its own.
    runs = Table(title=_text(f"last runs of {s.db} (files: loaded/seen)"), title_justify="left",
                 box=box.SIMPLE_HEAD, pad_edge=False)
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("load", "left"), ("took", "right"), ("status", "left"), ("files", "right"), ("facts", "right"),
        ("rejections", "right"))
    for name, justify in columns:
        runs.add_column(name, justify=justify, no_wrap=name != "status")
    cells = []
    for r in s.runs:
        took = (f"{(r['finished_at'] - r['started_at']).total_seconds():.1f} s"
                if r["finished_at"] is not None else "")
        status = r["status"] if not r["error"] else f"{r['status']}: {r['error']}"
        files = f"{_n(r['files_loaded'])}/{_n(r['files_seen'])}" if r["files_seen"] is not None else ""
        cells.append([printable(v) for v in (r["load_id"], took, status, files, _n(r["facts"]), _n(r["rejections"]))])
        runs.add_row(*map(Text, cells[-1]))
    names = [name for name, _ in columns]
    if not s.runs:
        console.print("no runs yet: `ncmec run` loads the warehouse", markup=False)
    elif terminal.fits(console, names, cells, [name != "status" for name in names]):
        console.print(runs)
    else:  # too narrow for the load ids and figures whole: one block a run
        console.print(runs.title)
        terminal.print_records(console, names, cells)
    linked = [r for r in s.runs if r["flow_run_url"]]
    if linked:  # runs made against a configured Prefect server (a temporary one is gone)
        console.print("in the Prefect UI:", markup=False)
        for r in linked:
            console.print(_text(f"  {r['load_id']}  {r['flow_run_url']}"), soft_wrap=not console.is_terminal)
    if s.runs and s.runs[0]["status"] == "running":
        console.print(_text(f"the newest run {s.runs[0]['load_id']} has not finished: it is loading now, "
                            "or it was stopped (the warehouse holds the run before it)"))


def _render_held(s: Status, console: Console) -> None:
    held = Table(title="what the warehouse holds", title_justify="left", show_header=False, box=None)
    held.add_column("what")
    held.add_column("count", justify="right")
    held.add_row("documents", _n(sum(s.documents.values())))
    for status, n in s.documents.items():
        held.add_row(_text(f"  {status}"), _n(n))
    for name, n in s.counts.items():
        held.add_row(COUNTS[name], _n(n))
    held.add_row("years", ", ".join(str(y) for y in s.years) or "none")
    held.add_row("places", _text(", ".join(s.places) or "none"))
    console.print(held)


def _fetch_counts(rows: list[dict]) -> dict[str, int]:
    return {status: sum(r["status"] == status for r in rows) for status in FETCH_STATUSES}


def _render_fetch(rows: list[dict], console: Console, limit: int) -> None:
    """The newest fetch: when, how its URLs went, and each that did not give a sheet."""
    if not rows:
        console.print("no fetch yet: `ncmec fetch` brings sheets from their URLs", markup=False)
        return
    counts = ", ".join(f"{n} {status}" for status, n in _fetch_counts(rows).items() if n or status != "listed")
    when = max(r["fetched_at"] for r in rows).astimezone(UTC)
    console.print(_text(f"last fetch {rows[0]['fetch_id']} (done {when:%Y-%m-%d %H:%M} UTC): {counts}"),
                  soft_wrap=not console.is_terminal)
    failed = [r for r in rows if r["status"] == "failed"]
    for r in failed[:limit]:
        console.print(_text(f"  {r['url']} ({r['check']}):"), soft_wrap=not console.is_terminal)
        console.print(_text(f"      {r['error']}"), soft_wrap=not console.is_terminal)
    if len(failed) > limit:
        console.print(f"  and {len(failed) - limit} more (ncmec query \"select * from fetches where status = "
                      "'failed'\")", markup=False)


def _render_rejections(s: Status, console: Console, limit: int) -> None:
    if not s.rejections:
        console.print("no open rejections")
        return
    by_check = ", ".join(f"{check} {n}" for check, n in s.rejections_by_check.items())
    console.print(_text(f"{len(s.rejections)} open rejection(s): {by_check}"))
    # One entry per file, check and reason: a breakdown that does not add up rejects four values
    # for one reason, and reads best as one entry.
    groups: dict[tuple, list[dict]] = {}
    for r in s.rejections:
        groups.setdefault((r["source_file"], r["check"], r["reason"]), []).append(r)
    for (source_file, check, reason), items in list(groups.items())[:limit]:
        first = items[0]
        if first["metric"] is None:
            what = "whole file"
        else:
            place = " ".join(str(v) for v in (first["geo"], first["year"]) if v is not None)
            what = f"{place} " + ", ".join(str(r["metric"]) for r in items)
        console.print(_text(f"  {source_file} ({check}), {what}:"), soft_wrap=not console.is_terminal)
        console.print(_text(f"      {reason}"), soft_wrap=not console.is_terminal)
    if len(groups) > limit:
        console.print(f"  and {len(groups) - limit} more (ncmec query \"select * from rejections\", "
                      "or --limit)", markup=False)


def as_json(s: Status) -> dict[str, Any]:
    """`status --json`: the runs, what the warehouse holds, and every open rejection."""
    runs = [{**r, "started_at": _iso(r["started_at"]), "finished_at": _iso(r["finished_at"]),
             "seconds": (r["finished_at"] - r["started_at"]).total_seconds() if r["finished_at"] else None}
            for r in s.runs]
    return {"db": str(s.db), "runs": runs, "documents": s.documents, "counts": s.counts, "years": s.years,
            "places": s.places, "rejections": _rejections(s.counts["rejections"], s.rejections_by_check, s.rejections),
            "last_fetch": _fetch_json(s.last_fetch)}


def run_json(summary: RunSummary, db: Path) -> dict[str, Any]:
    """`run --json`: the run's summary, and the warehouse's open rejections after it (as `status --json`
    lists them), read back from `db`."""
    st = summary.stats
    con = warehouse.connect(db, read_only=True)
    try:
        open_rejections = warehouse.rows(con, _OPEN_SQL)
    except duckdb.Error as exc:
        raise warehouse.WarehouseError(f"cannot read {db}: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    return {
        "load_id": st.load_id, "db": str(db),
        "files": {k: int(getattr(st, f"files_{k}")) for k in ("seen", "parsed", "loaded", "duplicate", "rejected",
                                                                "removed")},
        "observations": int(st.observations),
        "facts": {"count": int(st.facts), **{k: int(getattr(st, f"facts_{k}")) for k in ("added", "changed",
                                                                                         "removed")}},
        "rejections": _rejections(st.rejections, summary.rejections_by_check, open_rejections),
        "rejected_files": [{"source_file": f, "check": c, "reason": r} for f, c, r in summary.rejected_files],
        "removed_files": list(summary.gone),
        "seconds": {k: float(getattr(st, f"{k}_seconds")) for k in ("decode", "extract", "validate", "load")},
    }


def _rejections(count: int, by_check: dict[str, int], open_rejections: list[dict]) -> dict[str, Any]:
    return {"count": int(count), "by_check": {c: int(n) for c, n in by_check.items()}, "open": open_rejections}


def _fetch_json(rows: list[dict]) -> dict[str, Any] | None:
    if not rows:
        return None
    return {"fetch_id": rows[0]["fetch_id"], "counts": _fetch_counts(rows),
            "urls": [{**r, "fetched_at": _iso(r["fetched_at"])} for r in rows]}


def _iso(when: Any) -> str | None:
    return None if when is None else when.isoformat()
