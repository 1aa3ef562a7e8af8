"""Stage 3c: a run's checked rows, batch by batch, in parquet files of their own.

Each checked batch is written out by the process that parsed and checked it (a parse worker, or
the run's own process in a small run: pipelines/orchestration/run.py, parse_into), so no process
holds more than a batch however many sheets the run has. The checks across documents
(`resolve.py`) and the load (`load.py`) then read the staged files with DuckDB, which streams
them and spills to disk rather than growing. Files are written once and never changed: an
observation a later check rejects is listed in `rejected_ids`, and `select_sql` folds that into
`accepted`.

The staging folder is hidden beside the warehouse (the same disk), removed when the run ends;
one that a killed run left behind is removed by the next run (folders.py). SQL never names
it by its path, which holds whatever the user's `--db` holds: it names the folder opened
(pipelines/core/sqlpaths.py).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.core import sqlpaths, tables
from pipelines.core.queries import BY_CHECK_SQL, REJECTED_FILES_SQL
from pipelines.core.sqlpaths import literal
from pipelines.validate import folders
from pipelines.validate.checks import Frames

# Parse workers write their batches here and never query them: DuckDB is imported by `con`.
if TYPE_CHECKING:
    import duckdb

# DuckDB keeps pages it reads or builds up to this limit, and spills to disk beyond it: a run's
# memory must not grow with the archive.
MEMORY_LIMIT = "128MB"
# Arrow's default pool (mimalloc) keeps the pages a checked batch freed (its text and strings,
# as pandas holds them) for reuse: the main process stayed about 70 MB larger per 1,000 sheets
# of batch than it needed, at no gain in speed. The system allocator gives them back.
pa.set_memory_pool(pa.system_memory_pool())
TABLES = ("documents", "observations", "rejections", "facts", "rejected_ids")


@cache
def arrow_schemas() -> dict[str, pa.Schema]:
    """The staged tables' column types as Arrow schemas (pipelines/core/tables.py, `Table.staged`:
    a figure as read, which the load writes to the warehouse), so every staged file has the same
    ones (a batch whose column is all null would otherwise have no type at all). Staged
    observations carry `obs_id` too (see Staging.append)."""
    obs_id = (pa.field("obs_id", pa.int64()),)
    schemas = {t: tables.TABLES[t].staged().arrow_schema(obs_id if t == "observations" else ()) for t in TABLES[:-1]}
    return {**schemas, "rejected_ids": pa.schema(obs_id)}


def configure(con: duckdb.DuckDBPyConnection, spill_dir: Path | None = None) -> None:
    con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
    if spill_dir is not None:
        con.execute("set temp_directory = ?", [str(spill_dir)])


def select_sql(folder: str, table: str) -> str:
    """A SELECT of everything staged in `table` in `folder` (as `sqlpaths.opened` names it), with the
    warehouse's columns (and, for observations, `obs_id`)."""
    files = f"read_parquet({literal(f'{folder}/{table}-*.parquet')})"
    if table != "observations":
        return f"select * from {files}"
    rejected = f"read_parquet({literal(f'{folder}/rejected_ids-*.parquet')})"
    return (f"select * replace (accepted and obs_id not in (select obs_id from {rejected}) as accepted) "
            f"from {files}")


# Observations are numbered `part << PART_BITS | row`: unique in the run (by which a later check
# rejects one) in whatever order the parts come, and in order within a sheet.
PART_BITS = 32


def write(folder: Path, table: str, df: pd.DataFrame, part: str) -> None:
    """One staged file, whole or not at all: written under a name the views' globs do not match
    (a leading dot) and renamed into place, so that a killed worker leaves no half file."""
    schema = arrow_schemas()[table]
    final = Path(folder) / f"{table}-{part}.parquet"
    partial = final.with_name(f".{final.name}.partial")
    pq.write_table(pa.Table.from_pandas(df[schema.names], schema=schema, preserve_index=False), partial)
    os.replace(partial, final)


def write_part(folder: Path, part: int, batch: Frames) -> None:
    """One checked batch's documents, observations and rejections (see `checks.check_batch`) as
    part `part` of the run staged in `folder`."""
    obs, name, first = batch.observations, f"{part:06d}", part << PART_BITS
    write(folder, "documents", batch.documents, name)
    write(folder, "observations", obs.assign(obs_id=range(first, first + len(obs))), name)
    write(folder, "rejections", batch.rejections, name)


class Staging:
    """The staged tables of one run, as parquet files in `folder`."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._open = ExitStack()
        self.sql_folder = self._open.enter_context(sqlpaths.opened(self.folder))  # as SQL names it, until `close`
        self._con: duckdb.DuckDBPyConnection | None = None
        for table in TABLES:  # every table has a file, so every glob matches
            self.write(table, pd.DataFrame(columns=arrow_schemas()[table].names), "empty")

    def write(self, table: str, df: pd.DataFrame, part: str) -> None:
        write(self.folder, table, df, part)

    def append(self, batch: Frames, part: int) -> None:
        """One checked batch, as part `part` of the run (each part is staged once)."""
        write_part(self.folder, part, batch)

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection (opened on first use) with a view per staged table; the views
        read whatever files are staged when a query runs."""
        if self._con is None:
            import duckdb

            self._con = duckdb.connect()
            configure(self._con, self.folder / "spill")
            for table in TABLES:
                self._con.execute(f"create view {table} as {select_sql(self.sql_folder, table)}")
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
        self._open.close()

    def add_duplicates(self, copies: Mapping[str, str], load_id: str) -> None:
        """A `duplicate` row for each copy (file -> the file loaded in its place), which
        repeats that file's document but none of its observations, nor its text: the same
        bytes give the same text, which the original's row holds (a crawl of 50,000 copies
        wrote its sheets' text 50,000 times, ~200 MB, and the commit took seconds)."""
        if not copies:
            return
        pairs = pd.DataFrame({"copy": list(copies), "original": list(copies.values())})
        self.con.register("copies_df", pairs)
        try:
            rows = self.con.execute(
                """select c.copy as source_file, 'duplicate' as status, 0 as n_observations, ? as load_id,
                          null::varchar as text, d.* exclude (source_file, status, n_observations, load_id, text)
                   from copies_df c join documents d on d.source_file = c.original""",
                [load_id],
            ).df()
        finally:
            self.con.unregister("copies_df")
        self.write("documents", rows, "duplicates")

    def count(self, table: str) -> int:
        row = self.con.execute(f"select count(*) from {table}").fetchone()
        return int(row[0]) if row else 0

    def rejected_files(self) -> list[tuple[str, str, str]]:
        return self.con.execute(REJECTED_FILES_SQL).fetchall()

    def rejections_by_check(self) -> dict[str, int]:
        return dict(self.con.execute(BY_CHECK_SQL).fetchall())


@contextmanager
def staging_for(db_path: Path | None, load_id: str) -> Iterator[Staging]:
    """A staging folder, hidden beside the warehouse (or a temporary one), removed afterwards."""
    # Absolute: pyarrow, which writes the files, reads a leading "~" as the home folder.
    parent = Path(db_path).absolute().parent if db_path else None
    prefix = f"{folders.prefix(db_path)}{load_id}-" if db_path else "ncmec-staging-"
    stage = Staging(Path(tempfile.mkdtemp(prefix=prefix, dir=parent)))
    try:
        yield stage
    finally:
        stage.close()
        shutil.rmtree(stage.folder, ignore_errors=True)
