"""Stage 4: the run's frames into DuckDB, in one transaction.

The warehouse mirrors the raw folder: each table is replaced by what this run computed, but a
row whose content did not change keeps the `load_id` of the run that first wrote it, so a
re-run over unchanged inputs changes nothing. Facts that appear, change or go are logged in
`fact_changes`. Documents that left the raw folder stay in `documents` as `removed`.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import duckdb
import pandas as pd

from . import catalog, faults, lock, migrate, schemas, staging
from .extract import PARSER, Observation, ParsedDocument

# Tables a run replaces, in this order, and the columns that identify a row's content.
MIRRORED = ("metrics", "geos", "documents", "observations", "facts", "rejections")


class WarehouseError(Exception):
    """The warehouse cannot be opened or written; the message is one line for the user."""


class WarehouseLocked(WarehouseError):
    """Another process kept the warehouse file open for longer than we waited: try again later."""


@dataclass(frozen=True)
class LoadStats:
    load_id: str
    files_seen: int
    files_parsed: int
    files_loaded: int
    files_duplicate: int
    files_rejected: int
    files_removed: int
    observations: int
    facts: int
    rejections: int
    facts_added: int
    facts_changed: int
    facts_removed: int
    decode_seconds: float
    extract_seconds: float
    validate_seconds: float
    load_seconds: float


def new_load_id(now: datetime | None = None) -> str:
    """Sortable by time, unique across machines: 20261122T021500Z-1a2b3c4d."""
    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


# How long to wait for DuckDB's file lock: a reader meets it while a load commits (seconds);
# a writer meets it while a reader (`ncmec query`, say) has the file open.
READ_RETRY_SECONDS = 30.0
WRITE_RETRY_SECONDS = 60.0


def connect(db_path: Path, read_only: bool = False, retry_seconds: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting out another process's lock for a while; else one-line error."""
    db_path = Path(db_path)
    if read_only and not db_path.exists():
        raise WarehouseError(f"no warehouse at {db_path}: run `ncmec run` first")
    if not read_only and not db_path.parent.is_dir():
        raise WarehouseError(f"the warehouse folder {db_path.parent} does not exist")
    if retry_seconds is None:
        retry_seconds = READ_RETRY_SECONDS if read_only else WRITE_RETRY_SECONDS
    try:
        return lock.retry_locked(lambda: duckdb.connect(str(db_path), read_only=read_only), retry_seconds)
    except duckdb.Error as exc:
        if lock.is_lock_error(exc):
            raise WarehouseLocked(f"{db_path} is locked by {lock.lock_holder(exc)} (waited {retry_seconds:g} s); "
                                 "try again when its load finishes") from None
        raise WarehouseError(f"cannot open {db_path}: {str(exc).splitlines()[0]}") from None


def _ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The declared tables: created, or migrated from an earlier release (pipelines/migrate.py)."""
    try:
        migrate.migrate(con)
    except migrate.SchemaError as exc:
        raise WarehouseError(str(exc)) from None


def begin_run(db_path: Path, raw_dir: str, load_id: str, started_at: datetime, flow_run_id: str | None = None) -> None:
    """Record the run as `running` at once, so a run that never finishes is visible as such."""
    con = connect(db_path)
    try:
        _ensure_tables(con)
        con.execute(
            "insert into load_runs (load_id, started_at, status, raw_dir, flow_run_id) "
            "values (?, ?, 'running', ?, ?)",
            [load_id, started_at, raw_dir, flow_run_id],
        )
    finally:
        con.close()


def fail_run(db_path: Path, load_id: str, error: str) -> None:
    """Best effort: mark the run failed; the load's own transaction was already rolled back."""
    try:
        con = connect(db_path)
        try:
            con.execute(
                "update load_runs set status = 'failed', finished_at = ?, error = ? where load_id = ?",
                [datetime.now(timezone.utc), error, load_id],
            )
        finally:
            con.close()
    except Exception:  # the warehouse itself may be what failed
        pass


def stored_inventory(db_path: Path) -> set[tuple[str, str]] | None:
    """(source_file, sha256) of every current document, if all were parsed by this extractor."""
    if not Path(db_path).exists():
        return None
    con = connect(db_path, read_only=True)
    try:
        if "documents" not in {r[0] for r in con.execute("show tables").fetchall()}:
            return None
        rows = con.execute("select source_file, sha256, parser = ? from documents where status <> 'removed'",
                           [PARSER]).fetchall()
    finally:
        con.close()
    if not all(same for _, _, same in rows):
        return None
    return {(f, h) for f, h, _ in rows}


def record_unchanged_run(db_path: Path, load_id: str) -> LoadStats:
    """A run whose inputs are exactly what the warehouse holds: only the ledger and views change."""
    started = time.perf_counter()
    with _transaction(db_path) as con:
        apply_views(con)
        stats = _stats(con, load_id, 0, {}, started)
        _finish_run(con, stats)
    return stats


def rejected_files(db_path: Path) -> list[tuple[str, str, str]]:
    """(file, check, reason) of every rejected document, for a run's summary."""
    con = connect(db_path, read_only=True)
    try:
        return con.execute(staging.REJECTED_FILES_SQL).fetchall()
    finally:
        con.close()


def rejections_by_check(db_path: Path) -> dict[str, int]:
    con = connect(db_path, read_only=True)
    try:
        return dict(con.execute(staging.BY_CHECK_SQL).fetchall())
    finally:
        con.close()


def stored_content(db_path: Path) -> dict[str, tuple[str, bool]]:
    """sha256 -> (file, reusable) of every loaded or rejected document the warehouse holds.

    The file is the incumbent for duplicates (`checks.primaries`); reusable content was parsed
    by this extractor, so it needs no parsing again (`stored_documents`).
    """
    if not Path(db_path).exists():
        return {}
    con = connect(db_path, read_only=True)
    try:
        if "documents" not in {r[0] for r in con.execute("show tables").fetchall()}:
            return {}
        rows = con.execute("select sha256, source_file, parser = ? from documents "
                           "where status in ('loaded', 'rejected')", [PARSER]).fetchall()
    finally:
        con.close()
    return {sha: (name, bool(same)) for sha, name, same in rows}


def stored_documents(db_path: Path, found: list[ParsedDocument]) -> list[ParsedDocument]:
    """The stored documents of these files' content (all reusable), under the files' names:
    exactly what parsing them again would give. Called a batch at a time."""
    con = connect(db_path, read_only=True)
    try:
        wanted = pd.DataFrame({"sha256": [d.sha256 for d in found]})
        con.register("wanted", wanted)
        docs = con.execute(
            """select source_file, sha256, n_bytes, encoding, text, geo, year, rejected_check, reason
               from documents where parser = ? and status in ('loaded', 'rejected')
               and sha256 in (select sha256 from wanted)""", [PARSER]
        ).df()
        fields = list(Observation.__dataclass_fields__)
        obs = con.execute(
            f"""select o.source_file, {", ".join("o." + f for f in fields)} from observations o
                join documents d using (source_file) where d.parser = ? and d.status = 'loaded'
                and d.sha256 in (select sha256 from wanted)""", [PARSER]
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


def reference_frames(load_id: str) -> dict[str, pd.DataFrame]:
    metrics = pd.DataFrame(
        [dict(metric=m.metric, scope=m.scope, program=m.program, unit=m.unit,
              description=m.description, example=m.example, load_id=load_id)
         for m in catalog.metrics()]
    )
    geos = pd.DataFrame([dict(asdict(g), load_id=load_id) for g in catalog.geos()])
    return {
        "metrics": schemas.validate_table(schemas.Metrics, metrics),
        "geos": schemas.validate_table(schemas.Geos, geos),
    }


# The views a warehouse must have (DESIGN.md, README): a load that ends without one of them fails.
VIEWS = ("state_year_wide", "missing_breakdown", "state_share_of_national", "year_over_year")


def view_files() -> list[Traversable]:
    """The SQL view files, `warehouse/*.sql`, installed as the package `pipelines.views`: in name
    order, so that a view can read the views before it."""
    return sorted((f for f in resources.files("pipelines.views").iterdir() if f.name.endswith(".sql")),
                  key=lambda f: f.name)


def apply_views(con: duckdb.DuckDBPyConnection) -> None:
    """Every view, created anew inside the load's transaction, so views always match the tables
    they read; a view that fails, or one missing from the install, fails the load."""
    for view in view_files():
        try:
            con.execute(view.read_text("utf-8"))
        except duckdb.Error as exc:
            raise WarehouseError(f"view file {view.name} failed: {str(exc).splitlines()[0]}") from None
    made = {name for (name,) in con.execute("select view_name from duckdb_views() where not internal").fetchall()}
    missing = [v for v in VIEWS if v not in made]
    if missing:
        raise WarehouseError(f"the installed package has no view file for {', '.join(missing)} "
                             "(warehouse/*.sql ships as pipelines.views: reinstall the package)")


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"describe {table}").fetchall()]


# Columns too long to group and join on as they are (a sheet's whole text): compared by digest.
_DIGESTED = {"text"}


def _replace(con: duckdb.DuckDBPyConnection, table: str, source: str, params: list | None = None) -> None:
    """Replace `table` with the rows `source` selects; rows whose content is unchanged keep
    their old load_id.

    Written as an aggregate and a join, which DuckDB spills to disk under its memory limit; an
    UPDATE over the table, or an ORDER BY (a table's order is no contract), would not.
    """
    content = [c for c in _columns(con, table) if c != "load_id"]

    def compared(c: str, alias: str = "") -> str:
        return f'md5({alias}"{c}")' if c in _DIGESTED else f'{alias}"{c}"'

    old = ", ".join(f'{compared(c)} as "{c}"' for c in content)
    same = " and ".join(f'{compared(c, "n.")} is not distinct from o."{c}"' for c in content)
    con.execute(
        f"""create or replace temp table incoming as
            select {", ".join(f'n."{c}"' for c in content)}, coalesce(o.load_id, n.load_id) as load_id
            from ({source}) n
            left join (select {old}, min(load_id) as load_id from {table} group by all) o on {same}""",
        params,
    )
    con.execute(f"delete from {table}")
    con.execute(f"insert into {table} by name select * from incoming")
    con.execute("drop table incoming")


# Documents no longer in the raw folder stay listed, as `removed`.
_DOCUMENTS = """
select * from staged_documents
union all by name
select * replace ('removed' as status, 0 as n_observations, ? as load_id) from documents
where source_file not in (select source_file from staged_documents)
"""

_FACT_DIFF = """
insert into fact_changes
select coalesce(n.geo, o.geo), coalesce(n.year, o.year), coalesce(n.metric, o.metric),
       case when o.geo is null then 'added' when n.geo is null then 'removed' else 'changed' end,
       o.value, n.value, o.qualifier, n.qualifier, ?
from staged_facts n
full outer join facts o on n.geo = o.geo and n.year = o.year and n.metric = o.metric
where o.geo is null or n.geo is null
   or n.value is distinct from o.value or n.qualifier is distinct from o.qualifier
"""


def load(db_path: Path, stage_dir: Path, load_id: str, files_parsed: int,
         timings: dict[str, float] | None = None) -> LoadStats:
    """Write one run, staged in `stage_dir` (`staging.py`), in one transaction: all of it, or
    (on any error) none of it.

    `timings` holds the seconds of the stages before this one (decode, extract, validate).
    """
    started = time.perf_counter()
    timings = timings or {}
    with _transaction(db_path) as con:
        faults.pause_point("load")
        staging.configure(con)
        for table in ("documents", "observations", "rejections", "facts"):
            con.execute(f"create temp view staged_{table} as {staging.select_sql(stage_dir, table)}")
        con.execute(_FACT_DIFF, [load_id])
        for name, df in reference_frames(load_id).items():
            con.register(f"reference_{name}", df)
        for table in MIRRORED:
            if table == "documents":
                _replace(con, table, _DOCUMENTS, [load_id])
            else:
                source = f"reference_{table}" if table in ("metrics", "geos") else f"staged_{table}"
                _replace(con, table, f"select * from {source}")
        apply_views(con)
        stats = _stats(con, load_id, files_parsed, timings, started)
        _finish_run(con, stats)
    faults.pause_point("after_commit")
    return stats


@contextmanager
def _transaction(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """One write transaction on the warehouse: committed whole, or on any error rolled back."""
    con = connect(db_path)
    try:
        _ensure_tables(con)
        con.execute("begin transaction")
        yield con
        con.execute("commit")
    except BaseException:
        try:
            con.execute("rollback")
        except duckdb.Error:
            pass
        raise
    finally:
        con.close()


def _stats(con: duckdb.DuckDBPyConnection, load_id: str, files_parsed: int, timings: dict[str, float],
           started: float) -> LoadStats:
    """The run's figures, counted in the warehouse as the run leaves it."""
    status = dict(con.execute("select status, count(*) from documents group by status").fetchall())
    (n_obs,), (n_facts,), (n_rej,) = (con.execute(f"select count(*) from {t}").fetchone()
                                      for t in ("observations", "facts", "rejections"))
    changes = dict(con.execute(
        "select change, count(*) from fact_changes where load_id = ? group by change", [load_id]).fetchall())
    return LoadStats(
        load_id=load_id,
        files_seen=sum(n for s, n in status.items() if s != "removed"),
        files_parsed=files_parsed,
        files_loaded=status.get("loaded", 0),
        files_duplicate=status.get("duplicate", 0),
        files_rejected=status.get("rejected", 0),
        files_removed=status.get("removed", 0),
        observations=n_obs,
        facts=n_facts,
        rejections=n_rej,
        facts_added=changes.get("added", 0),
        facts_changed=changes.get("changed", 0),
        facts_removed=changes.get("removed", 0),
        decode_seconds=timings.get("decode", 0.0),
        extract_seconds=timings.get("extract", 0.0),
        validate_seconds=timings.get("validate", 0.0),
        load_seconds=time.perf_counter() - started,
    )


def _finish_run(con: duckdb.DuckDBPyConnection, stats: LoadStats) -> None:
    counts = {k: v for k, v in asdict(stats).items() if k != "load_id"}
    con.execute(
        "update load_runs set status = 'completed', finished_at = ?, "
        + ", ".join(f"{k} = ?" for k in counts)
        + " where load_id = ?",
        [datetime.now(timezone.utc), *counts.values(), stats.load_id],
    )

