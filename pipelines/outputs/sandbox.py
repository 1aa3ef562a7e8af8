"""`ncmec query`'s connection: a sandbox in DuckDB's own terms.

The warehouse is opened read-only with external access off: DuckDB itself then refuses to write
any file, attach a database, read a file (but those under `--allow-read` folders), install or
load an extension, and, the configuration being locked, to change any of that. What DuckDB
still lets through (COPY, EXPORT DATABASE or EXPLAIN ANALYZE COPY write into the allowed
folders, and into `<db>.tmp/`, which it adds to them itself) is closed by the statements'
types, as DuckDB's own parser gives them: only statements that read run, and every statement of
the SQL is checked before any of them runs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import duckdb

from pipelines.core import sqlpaths
from pipelines.core.printable import first_line, shortened
from pipelines.store import lock
from pipelines.store.warehouse import READ_RETRY_SECONDS, WarehouseError, WarehouseLocked, say_waiting

_READING = {duckdb.StatementType.SELECT, duckdb.StatementType.CALL}  # CALL f() is `select * from f()`
_NOT_NEEDED = "is not needed: each statement reads the warehouse as it stands"
_WRITES = "writes, and `ncmec query` opens the warehouse read-only"
# Why each other type is refused, and what to do instead. Not listed: _WRITES.
_WHY = {
    duckdb.StatementType.COPY: "writes a file (or loads one into the warehouse, which is read-only): "
                               "use --out FILE to write a result",
    duckdb.StatementType.EXPORT: "writes a folder: use `ncmec export` (parquet) or --out FILE",
    duckdb.StatementType.ATTACH: "opens another database: `ncmec query` reads the warehouse (--db) "
                                 "and the files of --allow-read folders",
    duckdb.StatementType.DETACH: "detaches a database: only the warehouse is attached",
    duckdb.StatementType.SET: "changes a setting, and the sandbox's settings are fixed",
    duckdb.StatementType.PRAGMA: "can change settings or import a database: use `describe`, `show tables`, "
                                 "or a table function such as `select * from pragma_table_info('facts')`",
    duckdb.StatementType.LOAD: "installs or loads an extension, which `ncmec query` never does",
    duckdb.StatementType.TRANSACTION: _NOT_NEEDED,
    duckdb.StatementType.PREPARE: "prepares a statement: give the statement itself",
    duckdb.StatementType.EXECUTE: "runs a prepared statement: give the statement itself",
    duckdb.StatementType.MULTI: "runs as several statements that cannot be checked one by one (a `pivot` without "
                                "`in (...)`): list the pivot's values, `pivot t on c in ('a', 'b') using ...`",
    duckdb.StatementType.EXPLAIN: "explains a statement that is refused (`explain analyze` runs it)",
}


class Refused(Exception):
    """A statement the sandbox does not run; the message names it and what to use instead."""


def connect(db: Path, allow_read: Sequence[Path] = ()) -> duckdb.DuckDBPyConnection:
    """The warehouse, read-only, in the sandbox; `allow_read` folders may be read, never written."""
    db = Path(db)
    try:
        opened = sqlpaths.database(db)
    except ValueError as exc:
        raise WarehouseError(str(exc)) from None
    if not db.exists():
        raise WarehouseError(f"no warehouse at {shortened(db, 200)}: run `ncmec run` first")
    config: dict[str, str | bool | int | float | list[str]] = {
        "autoinstall_known_extensions": False, "autoload_known_extensions": False}
    try:
        con = lock.retry_locked(lambda: duckdb.connect(opened, read_only=True, config=config), READ_RETRY_SECONDS,
                                on_wait=say_waiting(db, True, READ_RETRY_SECONDS))
    except duckdb.Error as exc:
        if lock.is_lock_error(exc):
            raise WarehouseLocked(f"{shortened(db, 200)} is locked by {lock.lock_holder(exc)} "
                                  f"(waited {READ_RETRY_SECONDS:g} s); try again when its load finishes") from None
        raise WarehouseError(f"cannot open {shortened(db, 200)}: {first_line(exc)}") from None
    try:
        if allow_read:
            # Resolved, with a final separator: DuckDB compares prefixes, and `a/` is not `a_other/`.
            con.execute("set allowed_directories = $1", [[os.path.join(os.path.realpath(d), "") for d in allow_read]])
        con.execute("set enable_external_access = false")
        con.execute("set allow_community_extensions = false")
        con.execute("set lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def _shown(statement: duckdb.Statement) -> str:
    return shortened(" ".join(statement.query.split()).rstrip(";").rstrip(), 70)


def _keyword(query: str) -> str:
    """The statement's first word, as DuckDB's tokenizer finds it (past any comment)."""
    tokens = [p for p, kind in duckdb.tokenize(query) if kind != duckdb.token_type.comment]
    if not tokens:
        return "?"
    return shortened(query[tokens[0]:].split(maxsplit=1)[0].lower(), 20)


def _explained(con: duckdb.DuckDBPyConnection, query: str) -> duckdb.Statement | None:
    """The statement an EXPLAIN explains: the first suffix of it, at one of DuckDB's own token
    boundaries, that DuckDB parses as one statement (past `analyze` and any options)."""
    starts = [p for p, kind in duckdb.tokenize(query) if kind != duckdb.token_type.comment]
    for start in starts[1:]:
        try:
            found = con.extract_statements(query[start:])
        except (duckdb.Error, ValueError):
            continue
        if len(found) == 1:
            return found[0]
    return None


def _type(statement: duckdb.Statement) -> duckdb.StatementType | None:
    try:
        return statement.type
    except ValueError:  # a type the Python API has no name for (`update extensions`)
        return None


def _why(con: duckdb.DuckDBPyConnection, statement: duckdb.Statement) -> str | None:
    """None when the statement only reads; else why it is refused."""
    kind = _type(statement)
    if kind is None:
        return "is of a kind that `ncmec query` does not run"
    if kind in _READING:
        return None
    if kind is duckdb.StatementType.EXPLAIN:
        inner = _explained(con, statement.query)
        if inner is not None and _type(inner) is not duckdb.StatementType.EXPLAIN and _why(con, inner) is None:
            return None
    return _WHY.get(kind, _WRITES)


def statements(con: duckdb.DuckDBPyConnection, sql: str) -> list[duckdb.Statement]:
    """The SQL's statements, each checked: Refused names the first that does not only read."""
    found = con.extract_statements(sql)
    for i, statement in enumerate(found, 1):
        why = _why(con, statement)
        if why is not None:
            where = f"statement {i} of {len(found)}, " if len(found) > 1 else ""
            raise Refused(f"refused: {where}`{_shown(statement)}`: `{_keyword(statement.query)}` {why}; "
                          "nothing was run")
    return found


def heading(i: int, n: int, statement: duckdb.Statement) -> str:
    """The line above each result when the SQL holds several statements."""
    return f"-- {i} of {n}: {_shown(statement)}"
