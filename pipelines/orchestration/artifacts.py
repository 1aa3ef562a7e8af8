"""What a flow run publishes in Prefect's UI: the validation summary (markdown) and its counts
(a table), built here as plain data so that they can be read and tested without Prefect."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.core.printable import markdown

if TYPE_CHECKING:
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
