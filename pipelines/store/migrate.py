"""Bring a warehouse's tables to the ones declared in pipelines/core/tables.py.

A new warehouse gets the declared tables at once. One made by an earlier release gets the
numbered migrations it has not had, in order, each a SQL file in pipelines/store/migrations/ named
`NNN_what.sql`: any statement DuckDB takes, so a migration can add, rename or retype a column
(`alter table ... rename column ...`, `alter table ... alter column ... type ...`), fill it,
or add a table. `schema_migrations` records which ran. A warehouse from before migrations
existed (release 0.1.0) has had none. The migrations a warehouse needs run in one transaction, so
a failure leaves it as it was (004 rebuilds four tables). After migrating, the tables must be
exactly the declared ones: a difference is an error that names it, never a silent half-schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from importlib.resources.abc import Traversable

import duckdb

from pipelines.core import tables

_FILE = re.compile(r"(\d{3})_(\w+)\.sql")
_LEDGER = ("create table if not exists schema_migrations "
           "(version integer not null, name varchar not null, applied_at timestamptz not null)")


class SchemaError(Exception):
    """The warehouse's tables are not the declared ones; the message says how."""


def migrations(folder: Traversable | None = None) -> list[tuple[int, str, str]]:
    """(version, name, SQL) of every migration, in order."""
    folder = folder or resources.files(__package__).joinpath("migrations")
    found = [(int(m.group(1)), m.group(2), f.read_text("utf-8"))
             for f in folder.iterdir() if (m := _FILE.fullmatch(f.name))]
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise SchemaError("two migrations share a number")
    return sorted(found)


def _existing(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'main'").fetchall()}


def pending(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The migrations an existing warehouse has not had (all of them for one from before they
    existed): a reader of it meets tables this release does not declare until a run migrates it."""
    if "schema_migrations" in _existing(con):
        done = {v for (v,) in con.execute("select version from schema_migrations").fetchall()}
    else:
        done = set()
    return [f"{v:03d}_{n}" for v, n, _ in migrations() if v not in done]


def migrate(con: duckdb.DuckDBPyConnection, folder: Traversable | None = None) -> list[str]:
    """Create or migrate the warehouse's tables, all or nothing; returns the names of the
    migrations applied."""
    steps = migrations(folder)
    with transaction(con):
        applied = _apply(con, steps)
    check(con)
    return applied


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction on `con`: committed whole, or on any error (a kill's signal too) rolled back."""
    con.execute("begin transaction")
    try:
        yield
        con.execute("commit")
    except BaseException:
        try:
            con.execute("rollback")
        except duckdb.Error:
            pass
        raise


def _apply(con: duckdb.DuckDBPyConnection, steps: list[tuple[int, str, str]]) -> list[str]:
    existing = _existing(con)
    con.execute(_LEDGER)
    now = datetime.now(UTC)
    if "documents" not in existing:  # a new warehouse: the declared tables, every migration done
        con.execute(tables.ddl())
        con.executemany("insert into schema_migrations values (?, ?, ?)", [(v, n, now) for v, n, _ in steps])
        return []
    done = {v for (v,) in con.execute("select version from schema_migrations").fetchall()}
    applied = []
    for version, name, sql in steps:
        if version not in done:
            con.execute(sql)
            con.execute("insert into schema_migrations values (?, ?, ?)", [version, name, now])
            applied.append(f"{version:03d}_{name}")
    if applied:
        con.execute(tables.ddl())  # tables added since, and every column's description
    return applied


def check(con: duckdb.DuckDBPyConnection) -> None:
    """The warehouse's tables are the declared ones: the same columns, in order, of the same types."""
    for table in tables.TABLES.values():
        have = con.execute("select column_name, data_type from duckdb_columns() where schema_name = 'main' "
                           "and table_name = ? order by column_index", [table.name]).fetchall()
        want = [(c.name, tables.duckdb_type(c.type)) for c in table.columns]
        if have != want:
            raise SchemaError(f"table {table.name} is {_columns(have)}, but this release declares {_columns(want)}: "
                              "a migration is missing (pipelines/store/migrations/)")


def _columns(cols: list[tuple[str, str]]) -> str:
    return "(" + ", ".join(f"{n} {t.lower()}" for n, t in cols) + ")" if cols else "missing"
