"""Stage 4: the run's staged tables into DuckDB, in one transaction.

The warehouse mirrors the raw folder: each table is replaced by what this run computed, but a
row whose content did not change keeps the `load_id` of the run that first wrote it, so a
re-run over unchanged inputs changes nothing. Facts that appear, change or go are logged in
`fact_changes`. Documents that left the raw folder stay in `documents` as `removed`. A staged
row becomes the table's row here (`Table.write_sql`, pipelines/core/tables.py): each figure as read
is written as its whole-number `value` and its `percent`, and each value gets its `scope`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines.core import catalog, faults, figures, sqlpaths, tables
from pipelines.store import migrate, storage
from pipelines.store.views import apply_views
from pipelines.store.warehouse import WarehouseError, connect

# pandas, pandera and pyarrow (the staging and the reference tables) only in `load`: a run that
# only records itself (inputs unchanged) never needs them.
if TYPE_CHECKING:
    import pandas as pd

# Tables a run replaces, in this order, and the columns that identify a row's content.
MIRRORED = ("metrics", "geos", "documents", "observations", "facts", "rejections")


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
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def _ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The declared tables: created, or migrated from an earlier release (pipelines/store/migrate.py)."""
    try:
        migrate.migrate(con)
    except migrate.SchemaError as exc:
        raise WarehouseError(str(exc)) from None


def begin_run(db_path: Path, raw_dir: str, load_id: str, started_at: datetime, flow_run_id: str | None = None,
              flow_run_url: str | None = None) -> None:
    """Record the run as `running` at once, so a run that never finishes is visible as such. (Its
    first write: a warehouse in a storage format older clients cannot read is rewritten first.)"""
    try:
        storage.readable_by_older_clients(db_path)
    except ValueError as exc:  # a path DuckDB would misread (sqlpaths.database)
        raise WarehouseError(str(exc)) from None
    con = connect(db_path)
    try:
        _ensure_tables(con)
        con.execute(
            "insert into load_runs (load_id, started_at, status, raw_dir, flow_run_id, flow_run_url) "
            "values (?, ?, 'running', ?, ?, ?)",
            [load_id, started_at, raw_dir, flow_run_id, flow_run_url],
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
                [datetime.now(UTC), error, load_id],
            )
        finally:
            con.close()
    except Exception:  # the warehouse itself may be what failed
        pass


def record_unchanged_run(db_path: Path, load_id: str) -> LoadStats:
    """A run whose inputs are exactly what the warehouse holds: only the ledger and views change."""
    started = time.perf_counter()
    with transaction(db_path) as con:
        apply_views(con)
        stats = _stats(con, load_id, 0, {}, started)
        _finish_run(con, stats)
    return stats


def reference_frames(load_id: str) -> dict[str, pd.DataFrame]:
    import pandas as pd

    from pipelines.validate import schemas

    metrics = pd.DataFrame(
        [dict(metric=m.metric, scope=m.scope, title=m.title, program=m.program, unit=m.unit,
              description=m.description, example=m.example, caveat=m.caveat, load_id=load_id)
         for m in catalog.metrics()]
    )
    geos = pd.DataFrame([dict(asdict(g), load_id=load_id) for g in catalog.geos()])
    return {
        "metrics": schemas.validate_table(schemas.Metrics, metrics),
        "geos": schemas.validate_table(schemas.Geos, geos),
    }


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

# Both sides are warehouse rows (the staged facts as the load writes them): compared by their exact figures.
_FACT_DIFF = f"""
insert into fact_changes by name
select coalesce(n.geo, o.geo) as geo, coalesce(n.year, o.year) as year, coalesce(n.metric, o.metric) as metric,
       case when o.geo is null then 'added' when n.geo is null then 'removed' else 'changed' end as change,
       o.value as old_value, n.value as new_value, o.percent as old_percent, n.percent as new_percent,
       o.qualifier as old_qualifier, n.qualifier as new_qualifier, ? as load_id
from staged_facts n
full outer join facts o on n.geo = o.geo and n.year = o.year and n.metric = o.metric
where o.geo is null or n.geo is null
   or {figures.exact("n.")} is distinct from {figures.exact("o.")} or n.qualifier is distinct from o.qualifier
"""


def load(db_path: Path, stage_dir: Path, load_id: str, files_parsed: int,
         timings: dict[str, float] | None = None) -> LoadStats:
    """Write one run, staged in `stage_dir` (`staging.py`), in one transaction: all of it, or
    (on any error) none of it.

    `timings` holds the seconds of the stages before this one (decode, extract, validate).
    """
    from pipelines.validate import staging

    started = time.perf_counter()
    timings = timings or {}
    with sqlpaths.opened(stage_dir) as staged, transaction(db_path) as con:
        faults.pause_point("load")
        staging.configure(con)
        for table in ("documents", "observations", "rejections", "facts"):  # as the warehouse's rows
            con.execute(f"create temp view staged_{table} as select {tables.TABLES[table].write_sql()} "
                        f"from ({staging.select_sql(staged, table)})")
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
def transaction(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """One write transaction on the warehouse: committed whole, or on any error rolled back."""
    con = connect(db_path)
    try:
        _ensure_tables(con)
        with migrate.transaction(con):
            yield con
    finally:
        con.close()


def _stats(con: duckdb.DuckDBPyConnection, load_id: str, files_parsed: int, timings: dict[str, float],
           started: float) -> LoadStats:
    """The run's figures, counted in the warehouse as the run leaves it."""
    status = dict(con.execute("select status, count(*) from documents group by status").fetchall())
    (n_obs,), (n_facts,), (n_rej,) = (con.execute(f"select count(*) from {t}").fetchall()[0]
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
        [datetime.now(UTC), *counts.values(), stats.load_id],
    )

