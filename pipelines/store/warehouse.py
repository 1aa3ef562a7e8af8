"""The warehouse file, opened: connections that wait out another process's lock, what a run
asks of the warehouse before it writes (what it holds already, to reuse), and the SQL views,
which every load applies. The write itself is load.py."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb

from pipelines.core import figures, sqlpaths
from pipelines.core.documents import Observation, ParsedDocument, parser_fingerprint
from pipelines.core.printable import first_line, printable
from pipelines.core.queries import BY_CHECK_SQL, REJECTED_FILES_SQL
from pipelines.store import lock, storage


class WarehouseError(Exception):
    """The warehouse cannot be opened or written; the message is one line for the user."""


class WarehouseLocked(WarehouseError):
    """Another process kept the warehouse file open for longer than we waited: try again later."""


# How long to wait for DuckDB's file lock: a reader meets it while a load commits (seconds);
# a writer meets it while a reader (`ncmec query`, say) has the file open.
READ_RETRY_SECONDS = 30.0
WRITE_RETRY_SECONDS = 60.0



def say_waiting(db_path: Path, read_only: bool, seconds: float) -> Callable[[BaseException], None]:
    """What a connection that meets DuckDB's lock tells the user at once, on stderr: whom it
    waits for (a reader waits for a run's load: the run as its lock file names it), and how long."""

    def say(exc: BaseException) -> None:
        who = (lock.holder(db_path) if read_only else None) or lock.lock_holder(exc)
        sys.stderr.write(f"ncmec: {printable(db_path)} is in use by {who}; waiting up to {seconds:g} s for it\n")
        sys.stderr.flush()

    return say


def connect(db_path: Path, read_only: bool = False, retry_seconds: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting out another process's lock for a while (and saying so); else
    a one-line error. A new warehouse is created in the storage format older clients read."""
    db_path = Path(db_path)
    try:
        opened = sqlpaths.database(db_path)
    except ValueError as exc:
        raise WarehouseError(str(exc)) from None
    if read_only and not db_path.exists():
        raise WarehouseError(f"no warehouse at {printable(db_path)}: run `ncmec run` first")
    if not read_only and not db_path.parent.is_dir():
        raise WarehouseError(f"the warehouse folder {printable(db_path.parent)} does not exist")
    if retry_seconds is None:
        retry_seconds = READ_RETRY_SECONDS if read_only else WRITE_RETRY_SECONDS

    def attempt() -> duckdb.DuckDBPyConnection:
        if not read_only and not db_path.exists():
            storage.create(db_path)
        return duckdb.connect(opened, read_only=read_only)

    try:
        return lock.retry_locked(attempt, retry_seconds, on_wait=say_waiting(db_path, read_only, retry_seconds))
    except duckdb.Error as exc:
        if lock.is_lock_error(exc):
            raise WarehouseLocked(f"{printable(db_path)} is locked by {lock.lock_holder(exc)} "
                                  f"(waited {retry_seconds:g} s); try again when its load finishes") from None
        raise WarehouseError(f"cannot open {printable(db_path)}: {first_line(exc)}") from None


def rows(con: duckdb.DuckDBPyConnection, sql: str,
         params: Iterable[object] | dict[str, Any] = ()) -> list[dict[str, Any]]:
    """A query's rows as dicts by column name."""
    cur = con.execute(sql, params if isinstance(params, dict) else list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def fact_count(db_path: Path) -> int:
    """How many facts the warehouse holds (0 when there is none yet)."""
    if not Path(db_path).exists():
        return 0
    con = connect(db_path, read_only=True)
    try:
        if "facts" not in {r[0] for r in con.execute("show tables").fetchall()}:
            return 0
        row = con.execute("select count(*) from facts").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def files_gone(db_path: Path, load_id: str) -> list[str]:
    """The files the run `load_id` found gone from the raw folder (their documents now `removed`)."""
    con = connect(db_path, read_only=True)
    try:
        return [name for (name,) in con.execute("select source_file from documents where status = 'removed' "
                                                "and load_id = ? order by source_file", [load_id]).fetchall()]
    finally:
        con.close()


# A migration applied since the last completed run: the tables are this release's whole only once
# a load rewrites them (what the catalog gives, as 004's metrics.title), so that run is no
# unchanged one; it reuses what was parsed.
_MIGRATED_SINCE_LOAD = """select exists (select 1 from schema_migrations where applied_at >
    coalesce((select max(finished_at) from load_runs where status = 'completed'), '-infinity'::timestamptz))"""


def stored_inventory(db_path: Path) -> set[tuple[str, str]] | None:
    """(source_file, sha256) of every current document, if all were parsed by this extractor
    and no migration was applied since the last load (else None)."""
    if not Path(db_path).exists():
        return None
    con = connect(db_path, read_only=True)
    try:
        if not {"documents", "schema_migrations"} <= {r[0] for r in con.execute("show tables").fetchall()}:
            return None
        if con.execute(_MIGRATED_SINCE_LOAD).fetchall()[0][0]:
            return None
        rows = con.execute("select source_file, sha256, parser = ? from documents where status <> 'removed'",
                           [parser_fingerprint()]).fetchall()
    finally:
        con.close()
    if not all(same for _, _, same in rows):
        return None
    return {(f, h) for f, h, _ in rows}


def rejected_files(db_path: Path) -> list[tuple[str, str, str]]:
    """(file, check, reason) of every rejected document, for a run's summary."""
    con = connect(db_path, read_only=True)
    try:
        return con.execute(REJECTED_FILES_SQL).fetchall()
    finally:
        con.close()


def rejections_by_check(db_path: Path) -> dict[str, int]:
    con = connect(db_path, read_only=True)
    try:
        return dict(con.execute(BY_CHECK_SQL).fetchall())
    finally:
        con.close()


# A stored document whose every figure the warehouse holds: none is a count that is not whole,
# which `value` cannot hold (its rejection states it), so that reusing it gives what parsing gives.
_FIGURES_HELD = f"""source_file not in (select source_file from observations where {figures.exact()} is null)"""


def stored_content(db_path: Path) -> dict[str, tuple[str, bool]]:
    """sha256 -> (file, reusable) of every loaded or rejected document the warehouse holds.

    The file is the incumbent for duplicates (`checks.primaries`); reusable content was parsed
    by this extractor, and the warehouse holds all its figures, so it needs no parsing again
    (`stored_documents`).
    """
    if not Path(db_path).exists():
        return {}
    con = connect(db_path, read_only=True)
    try:
        if "documents" not in {r[0] for r in con.execute("show tables").fetchall()}:
            return {}
        rows = con.execute(f"select sha256, source_file, parser = ? and {_FIGURES_HELD} from documents "
                           "where status in ('loaded', 'rejected')", [parser_fingerprint()]).fetchall()
    finally:
        con.close()
    return {sha: (name, bool(same)) for sha, name, same in rows}


def stored_documents(db_path: Path, found: list[ParsedDocument]) -> list[ParsedDocument]:
    """The stored documents of these files' content (all reusable), under the files' names:
    exactly what parsing them again would give. Called a batch at a time."""
    import pandas as pd  # here, not at the top: `ncmec status` and `query` read the warehouse without it

    con = connect(db_path, read_only=True)
    try:
        wanted = pd.DataFrame({"sha256": [d.sha256 for d in found]})
        con.register("wanted", wanted)
        docs = con.execute(
            """select source_file, sha256, n_bytes, encoding, text, geo, year, rejected_check, reason
               from documents where parser = ? and status in ('loaded', 'rejected')
               and sha256 in (select sha256 from wanted)""", [parser_fingerprint()]
        ).df()
        # Each figure as it was read: the exact one the warehouse wrote in two columns.
        fields = [f"{figures.exact('o.')} as value" if f == figures.FIGURE else f"o.{f}"
                  for f in Observation.__dataclass_fields__]
        obs = con.execute(
            f"""select o.source_file, {", ".join(fields)} from observations o
                join documents d using (source_file) where d.parser = ? and d.status = 'loaded'
                and d.sha256 in (select sha256 from wanted)""", [parser_fingerprint()]
        ).df()
    finally:
        con.close()
    by_file: dict[str, list[Observation]] = {}
    for row in obs.itertuples(index=False):
        values = row._asdict()
        by_file.setdefault(values.pop("source_file"), []).append(Observation(**values))
    stored = {}
    for d in docs.itertuples(index=False):
        rejected = isinstance(d.rejected_check, str)
        stored[d.sha256] = ParsedDocument(
            source_file=d.source_file, sha256=d.sha256, n_bytes=int(d.n_bytes),
            encoding=None if pd.isna(d.encoding) else d.encoding, text=None if pd.isna(d.text) else d.text,
            geo=None if pd.isna(d.geo) else d.geo, year=None if pd.isna(d.year) else int(d.year),
            rejected_check=d.rejected_check if rejected else None, rejected_reason=d.reason if rejected else None,
            observations=by_file.get(d.source_file, []),
        )
    return [replace(stored[d.sha256], source_file=d.source_file, reused=True) for d in found]


# What makes a DuckDB file an ncmec warehouse, for the commands that read one.
WAREHOUSE_TABLES = ("documents", "observations", "facts", "rejections", "load_runs")


def require_warehouse(con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
    """WarehouseError (one line) unless the open file holds the warehouse's tables, migrated to this release."""
    held = {name for (name,) in con.execute("select table_name from duckdb_tables() where schema_name = 'main' "
                                             "and database_name = current_database()").fetchall()}
    missing = [t for t in WAREHOUSE_TABLES if t not in held]
    from pipelines.core.printable import shortened
    from pipelines.store.migrate import pending

    if missing:
        raise WarehouseError(f"{shortened(db_path, 200)} is not an ncmec warehouse (it has no table "
                             f"{missing[0]}): pass the warehouse with --db, or make one with `ncmec run`")
    waiting = pending(con)
    if waiting:
        raise WarehouseError(f"{shortened(db_path, 200)} was made by an earlier release and has not had "
                             f"migration {', '.join(waiting)}: the next `ncmec run` upgrades it (README, "
                             "Upgrading a warehouse)")
