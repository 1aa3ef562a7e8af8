"""How the CLI's results print on a terminal (rich): a run's summary, query rows, an explanation,
an export's summary."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import catalog
from .printable import printable

if TYPE_CHECKING:
    from .export import ExportSummary
    from .run import RunSummary


def print_summary(out: Console, summary: RunSummary) -> None:
    """What `ncmec run` prints: the run's counts, each rejected file, the rejections by check."""
    s = summary.stats
    table = Table(title=f"load {s.load_id}", show_header=False, title_justify="left", box=None)
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in (("files seen", s.files_seen), ("  parsed (new or changed)", s.files_parsed),
                         ("  loaded", s.files_loaded), ("  duplicate", s.files_duplicate),
                         ("  rejected", s.files_rejected), ("files removed since last run", s.files_removed),
                         ("observations", s.observations), ("facts", s.facts), ("  added", s.facts_added),
                         ("  changed", s.facts_changed), ("  removed", s.facts_removed), ("rejections", s.rejections)):
        table.add_row(label, f"{value:,}")
    out.print(table)
    for name, check, reason in summary.rejected_files:
        out.print(f"rejected {name} ({check}): {reason}", markup=False, soft_wrap=True)
    if summary.rejections_by_check:
        listed = ", ".join(f"{c} {n}" for c, n in sorted(summary.rejections_by_check.items()))
        out.print(f"rejections by check: {listed} (see the rejections table)", markup=False)
    if summary.gone:
        shown = ", ".join(printable(name) for name in summary.gone[:10]) + (", …" if len(summary.gone) > 10 else "")
        out.print(f"{len(summary.gone):,} file(s) gone from the raw folder since the last run, their values "
                  f"retracted ({s.facts_removed:,} fact(s) removed in all): {shown}", markup=False, soft_wrap=True)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # Measured values are DOUBLE; counts such as year or char_start are integers, shown bare.
        return catalog.fmt(value)
    return str(value)


def print_rows(out: Console, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Query results as a table: numeric columns right-aligned, then the row count."""
    table = Table(show_lines=False)
    for i, name in enumerate(columns):
        numeric = any(isinstance(r[i], (int, float)) and not isinstance(r[i], bool) for r in rows)
        table.add_column(name, justify="right" if numeric else "left")
    for row in rows:
        table.add_row(*(_cell(v) for v in row))
    out.print(table)
    out.print(f"{len(rows)} row(s)", markup=False)


def print_explanation(out: Console, lines: list[tuple[str, str]]) -> None:
    """The lines of explain_text.as_text: the figure inside its evidence is reversed on a
    terminal and **marked** elsewhere (a pipe, a file)."""
    styles = {"title": "bold", "heading": "bold", "fact": "bold"}
    for style, line in lines:
        if "\x00" in line:
            before, number, after = line.split("\x00")
            shown = (number, "bold reverse") if out.is_terminal else f"**{number}**"
            out.print(Text.assemble(before, shown, after), soft_wrap=True)
        else:
            out.print(Text(line, style=styles.get(style, "")), soft_wrap=True)


def print_export(out: Console, summary: ExportSummary) -> None:
    """What `ncmec export` prints: each dataset with its rows, files and bytes, then the totals."""
    table = Table(title=f"exported {summary.out} (load {summary.load_id or 'none'})", title_justify="left")
    table.add_column("path")
    table.add_column("rows", justify="right")
    table.add_column("files", justify="right")
    table.add_column("bytes", justify="right")
    for d in summary.datasets:
        table.add_row(d.path, f"{d.rows:,}", f"{d.files:,}", f"{d.bytes:,}")
    table.add_row("data_dictionary.md, manifest.json", "", "2", "")
    out.print(table)
    out.print(f"{sum(d.rows for d in summary.datasets):,} rows in {sum(d.files for d in summary.datasets) + 2} "
              f"files, {summary.bytes:,} bytes of parquet", markup=False)
    out.print(f"start with {summary.out / 'data_dictionary.md'}", markup=False, soft_wrap=True)
