"""The warehouse file's storage format: one that DuckDB 1.4 and newer can open.

DuckDB 2 writes, by default, a storage version that no DuckDB 1.x reads, and DuckDB 1.x is what
many analysts' tools still embed (and the newest `duckdb-cli` on PyPI). A new warehouse is
created with `storage_compatibility_version` set to STORAGE_VERSION, and DuckDB keeps a file in
the format it was created in. A warehouse an earlier release created in the newer format is
rewritten once, by the next run (under its writer lock): every table, view, sequence and column
comment copied (COPY FROM DATABASE) into a new file of the older format, renamed over the old.
Nothing this product stores needs a newer format.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import duckdb

from pipelines.core import sqlpaths

STORAGE_VERSION = "v1.4.0"
_VERSION = re.compile(r"v(\d+)\.(\d+)\.(\d+)")


def _key(version: str) -> tuple[int, ...]:
    m = _VERSION.match(version)
    return tuple(int(g) for g in m.groups()) if m else (999,)


def create(db_path: Path) -> None:
    """A new, empty warehouse file in the format older clients read."""
    duckdb.connect(sqlpaths.database(db_path), config={"storage_compatibility_version": STORAGE_VERSION}).close()


def version(con: duckdb.DuckDBPyConnection) -> str:
    """The storage version of the connection's database file, as DuckDB tags it ("v1.4.0+")."""
    row = con.execute("select tags['storage_version'] from duckdb_databases() "
                      "where database_name = current_database()").fetchone()
    return str(row[0]) if row and row[0] else "unknown"


def readable_by_older_clients(db_path: Path) -> bool:
    """Rewrite the warehouse in STORAGE_VERSION if it is in a newer one; True when it was.
    Call only while holding the writer lock (the file is replaced)."""
    db_path = Path(db_path)
    if not db_path.exists():
        return False
    con = duckdb.connect(sqlpaths.database(db_path))
    try:
        if _key(version(con)) <= _key(STORAGE_VERSION):
            return False
        con.execute("checkpoint")  # the copy reads the file alone: nothing may stay in its WAL
    finally:
        con.close()
    _rewrite(db_path)
    return True


def _rewrite(db_path: Path) -> None:
    tmp = db_path.with_name(f".{db_path.name}.{uuid.uuid4().hex[:8]}.convert")
    try:
        con = duckdb.connect()
        try:
            with sqlpaths.opened(db_path, folder=False) as source, sqlpaths.opened(db_path.parent) as folder:
                con.execute(f"attach {sqlpaths.literal(source)} as source (read_only)")
                con.execute(f"attach {sqlpaths.literal(f'{folder}/{tmp.name}')} as converted "
                            f"(storage_version '{STORAGE_VERSION}')")
                con.execute("copy from database source to converted")
                con.execute("detach converted")
                con.execute("detach source")
        finally:
            con.close()
        os.chmod(tmp, os.stat(db_path).st_mode & 0o7777)
        with open(tmp, "rb") as written:
            os.fsync(written.fileno())
        os.replace(tmp, db_path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
