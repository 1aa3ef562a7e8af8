"""How the CLI's results print on a terminal (rich): a run's summary, query rows, an explanation,
an export's summary.

Whatever comes from data (file names, sheet text, query results, reasons) is printed as Rich
`Text` after `printable`: never read as markup (`[/]` stays `[/]`, `:x:` stays `:x:`), and no
control character reaches the terminal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipelines.core import catalog
from pipelines.core.printable import printable

if TYPE_CHECKING:
    from pipelines.orchestration.run import RunSummary
    from pipelines.outputs.export import ExportSummary


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
        out.print(Text(printable(f"rejected {name} ({check}): {reason}")), soft_wrap=True)
    if summary.rejections_by_check:
        listed = ", ".join(f"{c} {n}" for c, n in sorted(summary.rejections_by_check.items()))
        out.print(Text(printable(f"rejections by check: {listed} (see the rejections table)")))
    if summary.gone:
        shown = ", ".join(summary.gone[:10]) + (", …" if len(summary.gone) > 10 else "")
        out.print(Text(printable(f"{len(summary.gone):,} file(s) gone from the raw folder since the last run, their "
                                 f"values retracted ({s.facts_removed:,} fact(s) removed in all): {shown}")),
                  soft_wrap=True)


# Types of the columns whose integers are shown grouped (8,468): figures and counts (the warehouse's
# `value`, `count(*)`, sums). Years, offsets and small counts are INTEGER, shown bare (2023).
GROUPED_TYPES = frozenset({"BIGINT", "HUGEINT", "UBIGINT", "UHUGEINT"})


def grouped(types: list[str]) -> list[bool]:
    """Which columns, by their DuckDB types, show their integers grouped."""
    return [t in GROUPED_TYPES for t in types]


def cell(value: object, group: bool = False) -> str:
    """A query result's value as the table (and a markdown file) shows it; `group`: an integer of
    a column of figures (see GROUPED_TYPES)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return catalog.fmt(value)
    if group and isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    # A tab stays: rich expands it to spaces, as the sheet's own table layout (README example).
    return "\t".join(printable(part) for part in str(value).split("\t"))


def is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


TEXT_AT_LEAST = 8  # a text column narrower than this reads as noise: show records instead


def print_rows(out: Console, columns: list[str], rows: list[tuple[Any, ...]], group: list[bool] | None = None) -> None:
    """Query results as a table, then the row count; `group` (see `grouped`) says which columns
    show their integers grouped. Numbers are never cut: numeric columns
    are right-aligned and never wrap (text columns wrap, and fold what is longer than they are);
    when even the figures do not fit the terminal, each row prints as a block of
    `column: value` lines instead."""
    names = [printable(c) for c in columns]
    group = group or [False] * len(columns)
    shown = [[cell(v, g) for v, g in zip(row, group, strict=True)] for row in rows]
    numeric = [any(is_number(r[i]) for r in rows) for i in range(len(columns))]
    if not fits(out, names, shown, numeric):
        print_records(out, names, shown)
    else:
        table = Table(show_lines=False)
        for name, figures in zip(names, numeric, strict=True):
            table.add_column(Text(name), justify="right" if figures else "left", no_wrap=figures, overflow="fold")
        for row in shown:
            table.add_row(*(Text(v) for v in row))
        out.print(table)
    out.print(Text(f"{len(rows)} row(s)"))


def fits(out: Console, names: list[str], rows: list[list[str]], whole: list[bool]) -> bool:
    """Whether a table of these cells fits the terminal with the `whole` columns (figures, ids)
    unwrapped and every other column at least TEXT_AT_LEAST wide."""
    widest = [max([cell_len(names[i]), *(cell_len(r[i]) for r in rows)]) for i in range(len(names))]
    needed = sum(w if keep else min(w, TEXT_AT_LEAST) for w, keep in zip(widest, whole, strict=True))
    return needed + 3 * len(names) + 1 <= out.width  # a space either side of each cell, and its rule


def print_records(out: Console, names: list[str], rows: list[list[str]]) -> None:
    """Each row as a block of `column: value` lines: every value whole, however narrow the terminal."""
    for i, row in enumerate(rows, 1):
        out.print(Text(f"row {i}", style="bold"))
        for name, value in zip(names, row, strict=True):
            out.print(Text.assemble("  ", (name, "bold"), ": ", value))


def print_explanation(out: Console, lines: list[tuple[str, str]]) -> None:
    """The lines of explain_text.as_text: the figure inside its evidence is reversed on a
    terminal and **marked** elsewhere (a pipe, a file)."""
    styles = {"title": "bold", "heading": "bold", "fact": "bold"}
    for style, line in lines:
        if "\x00" in line:
            before, number, after = line.split("\x00")
            shown = (number, "bold reverse") if out.is_terminal else f"**{number}**"
            out.print(Text.assemble(before, shown, after), soft_wrap=not out.is_terminal)
        else:
            out.print(Text(line, style=styles.get(style, "")), soft_wrap=not out.is_terminal)


def print_export(out: Console, summary: ExportSummary) -> None:
    """What `ncmec export` prints: each dataset with its rows, files and bytes, then the totals."""
    table = Table(title=Text(printable(f"exported {summary.out} (load {summary.load_id or 'none'})")),
                  title_justify="left")
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
    out.print(Text(printable(f"start with {summary.out / 'data_dictionary.md'}")), soft_wrap=True)
