"""Files and folders as DuckDB is given them: SQL never names them by the user's path, and a
database file is opened by its absolute path, never one DuckDB would read as something else.

A path holds whatever the user typed or the file system holds: a `[` or `*` that DuckDB takes for
a glob pattern, a quote. Statements that take no parameters (views over parquet, COPY, ATTACH)
name an open descriptor instead, `/proc/self/fd/N`: digits only, valid in this process, which is
the one that runs the SQL. Where there is no /proc, the path itself is given, as a string literal.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.core.printable import printable

_HERE = os.path.isdir("/proc/self/fd")


# DuckDB reads a `?` in a database path as the start of a URL's query (it then looks for the WAL
# at `a.wal?/b` for `a?/b`) and a backslash as a Windows separator: such a file would be opened
# under another name than the one checked, or fail mid-commit.
_MISREAD = ("?", "\\")


def database(path: Path) -> str:
    """The path to give duckdb.connect for the database file `path`: absolute (so that DuckDB's own
    `~` expansion or a `md:`/`s3:` prefix never applies), or ValueError when DuckDB would misread it."""
    shown = str(path)
    if any(c in shown for c in _MISREAD):
        raise ValueError(f"DuckDB cannot open a warehouse whose path holds '?' or '\\' ({printable(shown)}): "
                         "rename the folder or file, or choose another --db")
    return os.path.abspath(shown)


def literal(value: object) -> str:
    """A value inside a SQL string literal, for the statements that take no parameters."""
    return "'" + str(value).replace("'", "''") + "'"


@contextmanager
def opened(path: Path, folder: bool = True) -> Iterator[str]:
    """The folder (or, with folder=False, the file) as SQL may name it while this block runs."""
    if not _HERE:
        yield str(path)
        return
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | (os.O_DIRECTORY if folder else os.O_NOFOLLOW))
    try:
        yield f"/proc/self/fd/{fd}"
    finally:
        os.close(fd)
