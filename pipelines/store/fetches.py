"""The fetch ledger (`fetches`, pipelines/core/tables.py): what the last answers of each URL were,
for the next fetch's conditional requests, and the rows of a fetch, written in one transaction
once its requests are done (so that readers wait for a write, not for the network)."""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines.core import tables
from pipelines.store import load, warehouse


@dataclass(frozen=True)
class Row:
    """One row of `fetches`, in the declared column order."""

    fetch_id: str
    url: str
    kind: str
    status: str
    http_status: int | None
    final_url: str | None
    source_file: str | None
    etag: str | None
    last_modified: str | None
    sha256: str | None
    n_bytes: int | None
    fetched_at: datetime
    check: str | None
    error: str | None


assert [f for f in Row.__dataclass_fields__] == tables.FETCHES.names, "Row must follow tables.FETCHES"


@dataclass(frozen=True)
class Kept:
    """What the last successful fetch of a sheet URL wrote: the validators to send back, and the
    file and bytes they stand for."""

    source_file: str
    etag: str | None
    last_modified: str | None
    sha256: str


_LAST = """select {key}, {columns} from fetches where kind = 'sheet' and status <> 'failed'
    qualify row_number() over (partition by {key} order by fetched_at desc) = 1"""


def kept(db: Path) -> tuple[dict[str, Kept], dict[str, str]]:
    """By URL, what its last successful fetch wrote; and by file in the raw folder, the URL that
    last wrote it. Empty for a warehouse that has no fetch ledger yet."""
    if not Path(db).exists():
        return {}, {}
    con = warehouse.connect(db, read_only=True)
    try:
        if not _has_ledger(con):
            return {}, {}
        by_url = {url: Kept(*rest) for url, *rest in con.execute(_LAST.format(
            key="url", columns="source_file, etag, last_modified, sha256")).fetchall()}
        owners = dict(con.execute(_LAST.format(key="source_file", columns="url")).fetchall())
        return by_url, owners
    finally:
        con.close()


def record(db: Path, rows: list[Row]) -> None:
    """The fetch's rows, in one transaction (the warehouse created or migrated first if need be)."""
    if not rows:
        return
    placeholders = ", ".join("?" * len(tables.FETCHES.names))
    with load.transaction(db) as con:
        con.executemany(f"insert into fetches values ({placeholders})", [list(astuple(r)) for r in rows])


def _has_ledger(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse has the fetch ledger (a warehouse no 0.5.0 run or fetch has migrated has not)."""
    return bool(con.execute("select 1 from duckdb_tables() where table_name = 'fetches'").fetchall())


def last(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every row of the newest fetch, in the order its URLs were asked (none before a first fetch)."""
    if not _has_ledger(con):
        return []
    return warehouse.rows(con, "select * from fetches where fetch_id = (select max(fetch_id) from fetches) "
                               "order by fetched_at, url")
