"""What `ncmec query` does: read the SQL (an argument, -f FILE, or standard input), check every
statement in the sandbox (pipelines/outputs/sandbox.py) before any runs, run them in order and print
each result, or write the one result to --out through pipelines/outputs/atomic.py.

Results print as a table (pipelines/outputs/terminal.py), CSV, JSON lines or markdown; a file can be
parquet too. CSV is written as the data is, except on a terminal, where control characters are
shown escaped; JSON escapes them itself (as `\\u` escapes: the same JSON). pyarrow is imported
only to write parquet, so that a query starts in a fraction of a second.
"""

from __future__ import annotations

import csv
import sys
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import duckdb
from rich.console import Console
from rich.text import Text

from pipelines.core.printable import json_text, printable, shortened
from pipelines.outputs import atomic as outputs
from pipelines.outputs import sandbox, terminal
from pipelines.store.warehouse import WarehouseError

FILE_FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json", ".md": "md",
                ".parquet": "parquet"}
SQL_LIMIT = 16 << 20  # bytes of SQL read from a file or standard input (a device never ends)
BATCH = 10_000


class QueryError(Exception):
    """What the user is told, in one line, and the exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def read_sql(sql: str | None, file: Path | None, stdin: IO[str]) -> str:
    """The SQL from the argument, the file, or standard input (`-` for either)."""
    if sql is not None and file is not None:
        raise QueryError("give the SQL as an argument or with -f FILE, not both", 2)
    if sql is None and file is None:
        raise QueryError("no SQL: give it as an argument, with -f FILE, or as - to read standard input", 2)
    if sql == "-" or file == Path("-"):
        text = stdin.read(SQL_LIMIT + 1)
    elif file is not None:
        text = _read_file(file)
    else:
        text = sql or ""
    if len(text) > SQL_LIMIT:
        raise QueryError(f"the SQL is longer than {SQL_LIMIT:,} characters", 2)
    if not text.strip():
        raise QueryError("empty SQL: nothing to run", 2)
    return text


def _read_file(file: Path) -> str:
    try:
        if not file.is_file():
            raise QueryError(f"-f {shortened(file, 200)}: " + ("a folder, not a file of SQL" if file.is_dir()
                                                               else "no such file of SQL"), 2)
        with open(file, encoding="utf-8") as f:
            return f.read(SQL_LIMIT + 1)
    except UnicodeDecodeError:
        raise QueryError(f"-f {shortened(file, 200)}: not UTF-8 text", 2) from None
    except OSError as exc:
        raise QueryError(f"-f {shortened(file, 200)}: {exc.strerror}", 2) from None


def output_format(fmt: str | None, out: Path | None) -> str:
    """The format to print or write in: --format, else --out's extension, else a table."""
    if out is None:
        if fmt == "parquet":
            raise QueryError("--format parquet writes a file: add --out FILE.parquet", 2)
        return fmt or "table"
    if fmt == "table":
        raise QueryError("--format table is for the terminal; with --out use csv, json, md or parquet", 2)
    found = fmt or FILE_FORMATS.get(out.suffix.lower())
    if found is None:
        raise QueryError(f"cannot tell the format of --out {shortened(out, 200)} from its name: end it in "
                         f"{', '.join(FILE_FORMATS)}, or add --format", 2)
    return found


def run(db: Path, sql: str, fmt: str | None, out: Path | None, allow_read: Sequence[Path], console: Console) -> None:
    """Check every statement, then run each and print its result (or write it to `out`)."""
    fmt = output_format(fmt, out)
    for folder in allow_read:
        if not folder.is_dir():
            raise QueryError(f"--allow-read {shortened(folder, 200)}: not a folder", 2)
    try:
        if out is not None:
            outputs.file_target(out, db)
        con = sandbox.connect(db, allow_read)
    except (WarehouseError, outputs.OutputError) as exc:
        raise QueryError(str(exc), 2) from None
    try:
        found = _checked(con, sql)
        if out is not None and len(found) > 1:
            raise QueryError(f"--out takes the result of one statement; the SQL holds {len(found)}", 2)
        for i, statement in enumerate(found, 1):
            where = f"statement {i} of {len(found)}: " if len(found) > 1 else ""
            if len(found) > 1:
                _heading(console, fmt, sandbox.heading(i, len(found), statement))
            try:
                cursor = con.execute(statement)
                if out is not None:
                    _write_file(out, fmt, cursor)
                elif fmt == "table" and statement.type is duckdb.StatementType.EXPLAIN:
                    for _, plan in _batches(cursor):  # DuckDB's drawing of the plan, line by line
                        console.print(Text(printable(plan, keep_newlines=True)), soft_wrap=True)
                else:
                    _print(console, fmt, cursor)
            except duckdb.Error as exc:
                raise QueryError(where + _message(exc)) from None
    finally:
        con.close()


_OUTSIDE = (" (the sandbox reads only the warehouse, and files under the folders that --allow-read names; "
            "it writes none)")


def _message(exc: BaseException) -> str:
    message = shortened(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, 300)
    return message + _OUTSIDE if isinstance(exc, duckdb.PermissionException) else message


def _checked(con: duckdb.DuckDBPyConnection, sql: str) -> list[duckdb.Statement]:
    try:
        found = sandbox.statements(con, sql)
    except sandbox.Refused as exc:
        raise QueryError(str(exc)) from None
    except duckdb.Error as exc:
        raise QueryError(_message(exc)) from None
    if not found:
        raise QueryError("empty SQL: nothing to run (only comments or semicolons)", 2)
    return found


def _heading(console: Console, fmt: str, line: str) -> None:
    if fmt == "table":
        console.print(Text(line, style="bold"))
    else:
        sys.stdout.write(line + "\n")


def _columns(cursor: duckdb.DuckDBPyConnection) -> list[str]:
    return [d[0] for d in cursor.description or []]


def _grouped(cursor: duckdb.DuckDBPyConnection) -> list[bool]:
    return terminal.grouped([str(d[1]) for d in cursor.description or []])


def _batches(cursor: duckdb.DuckDBPyConnection) -> Iterator[tuple[Any, ...]]:
    if not cursor.description:
        return
    while rows := cursor.fetchmany(BATCH):
        yield from rows


def _print(console: Console, fmt: str, cursor: duckdb.DuckDBPyConnection) -> None:
    columns = _columns(cursor)
    if fmt == "table":
        terminal.print_rows(console, columns, list(_batches(cursor)), _grouped(cursor))
    else:
        _write_text(sys.stdout, fmt, columns, _batches(cursor), terminal=sys.stdout.isatty(), group=_grouped(cursor))


def _write_text(f: IO[str], fmt: str, columns: list[str], rows: Iterable[tuple[Any, ...]],
                terminal: bool = False, group: list[bool] | None = None) -> None:
    if fmt == "json":
        for row in rows:
            f.write(json_text(dict(zip(columns, row, strict=True))) + "\n")
    elif fmt == "csv":
        shown = printable if terminal else (lambda v: v)
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow([shown(c) for c in columns])
        writer.writerows([shown(v) if isinstance(v, str) else v for v in row] for row in rows)
    else:
        _write_markdown(f, columns, list(rows), group or [False] * len(columns))


def _write_markdown(f: IO[str], columns: list[str], rows: list[tuple[Any, ...]], group: list[bool]) -> None:
    def md(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|")

    numeric = [any(terminal.is_number(r[i]) for r in rows) for i in range(len(columns))]
    f.write("| " + " | ".join(md(printable(c)) for c in columns) + " |\n")
    f.write("|" + "|".join("---:" if n else "---" for n in numeric) + "|\n")
    for row in rows:
        f.write("| " + " | ".join(md(terminal.cell(v, g)) for v, g in zip(row, group, strict=True)) + " |\n")


def _write_file(out: Path, fmt: str, cursor: duckdb.DuckDBPyConnection) -> None:
    """The result at `out`, whole or not at all (pipelines/outputs/atomic.py)."""
    with outputs.staged(out) as tmp:
        if fmt == "parquet":
            import pyarrow.parquet as pq  # only here: every other query starts without pyarrow

            with warnings.catch_warnings():
                # "an extra copy of the rows": the cost of running the checked statement itself,
                # rather than its text again through con.sql.
                warnings.simplefilter("ignore", UserWarning)
                table = cursor.to_arrow_table()
            pq.write_table(table, tmp)
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                _write_text(f, fmt, _columns(cursor), _batches(cursor), group=_grouped(cursor))
