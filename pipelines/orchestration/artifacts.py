"""What a flow run publishes in Prefect's UI: the validation summary (markdown) and its counts
(a table), and what a fetch brought (markdown), built here as plain data so that they can be
read and tested without Prefect."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.core.printable import markdown

if TYPE_CHECKING:
    from pipelines.fetch.fetching import FetchSummary
    from pipelines.store.load import LoadStats

# A run over a bad archive can reject thousands of files: the artifact lists this many and
# points to the warehouse for the rest.
MOST_FILES = 100


def counts_table(stats: LoadStats, by_check: dict[str, int]) -> list[dict[str, object]]:
    """One row per file status and per check that rejected something."""
    rows: list[dict[str, object]] = [
        {"kind": "file status", "name": name, "count": count}
        for name, count in (("loaded", stats.files_loaded), ("duplicate", stats.files_duplicate),
                            ("rejected", stats.files_rejected), ("removed", stats.files_removed))
    ]
    rows += [{"kind": "check", "name": check, "count": n} for check, n in sorted(by_check.items())]
    return rows


def summary_markdown(stats: LoadStats, rejected_files: list[tuple[str, str, str]], by_check: dict[str, int]) -> str:
    """The run's validation summary: its figures, the rejections by check, and each rejected file."""
    lines = [
        f"# ncmec load {stats.load_id}",
        "",
        f"{stats.files_seen:,} files ({stats.files_parsed:,} parsed this run): {stats.files_loaded:,} loaded, "
        f"{stats.files_duplicate:,} duplicate, {stats.files_rejected:,} rejected; {stats.files_removed:,} removed "
        "since the last run.",
        "",
        f"{stats.facts:,} facts ({stats.facts_added:,} added, {stats.facts_changed:,} changed, "
        f"{stats.facts_removed:,} removed) from {stats.observations:,} observations; "
        f"{stats.rejections:,} rejections.",
        "",
        "## Rejections by check",
        "",
    ]
    if by_check:
        lines += ["| check | rejections |", "|---|---:|"]
        lines += [f"| {check} | {n:,} |" for check, n in sorted(by_check.items())]
    else:
        lines.append("None: every value passed every check.")
    lines += ["", "## Rejected files", ""]
    if rejected_files:
        lines += ["| file | check | reason |", "|---|---|---|"]
        # The checks' names are the product's own; a file's name and a reason (which quotes the
        # sheet) are data, shown as text.
        lines += [f"| {markdown(f)} | {c} | {markdown(r)} |"
                  for f, c, r in rejected_files[:MOST_FILES]]
        if len(rejected_files) > MOST_FILES:
            lines += ["", f"... and {len(rejected_files) - MOST_FILES:,} more: "
                      "`ncmec query \"select * from documents where status = 'rejected'\"`."]
    else:
        lines.append("None.")
    lines += ["", "Every rejected value, with its reason and evidence: the `rejections` table "
              "(`ncmec status` lists them)."]
    return "\n".join(lines) + "\n"


def what_was_new(fetched: FetchSummary, stats: LoadStats) -> str:
    """One line for a fetch and the run after it: the sheets that arrived, and what the run made of them."""
    arrived = ", ".join(f"{r.source_file} ({r.status})" for r in fetched.arrived[:10])
    more = f" and {len(fetched.arrived) - 10:,} more" if len(fetched.arrived) > 10 else ""
    sheets = f"new or changed sheets: {arrived}{more}" if fetched.arrived else "no new or changed sheet"
    failed = f", {len(fetched.failed):,} URL(s) failed" if fetched.failed else ""
    return (f"{sheets} ({fetched.count('unchanged'):,} unchanged{failed}); load {stats.load_id}: "
            f"{stats.facts_added:,} facts added, {stats.facts_changed:,} changed, {stats.facts_removed:,} removed")


def fetch_markdown(fetched: FetchSummary, stats: LoadStats) -> str:
    """The fetch's summary: the line above, and a row per URL with what came of it."""
    lines = [f"# ncmec fetch {fetched.fetch_id}", "", markdown(what_was_new(fetched, stats)), "",
             "| URL | status | file | why |", "|---|---|---|---|"]
    lines += [f"| {markdown(r.url)} | {r.status} | {markdown(r.source_file or '')} | "
              f"{markdown(f'{r.check}: {r.error}' if r.check else '')} |" for r in fetched.rows[:MOST_FILES]]
    if len(fetched.rows) > MOST_FILES:
        lines += ["", f"... and {len(fetched.rows) - MOST_FILES:,} more: `ncmec query \"select * from fetches\"`."]
    return "\n".join(lines) + "\n"
