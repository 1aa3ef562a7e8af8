"""Stage 5: parquet for analysts, with a data dictionary.

The export is written to a temporary folder beside `out` and renamed into place only when every
file is written, so a failed export leaves the previous one whole. Files reach the disk through
pyarrow; no path is ever spliced into SQL.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from . import dictionary, warehouse
from .dictionary import Dataset

MANIFEST = "manifest.json"
DICTIONARY = "data_dictionary.md"

# (table, grain, order within a file). Partitioned tables get one folder per year.
PARTITIONED = (
    ("facts", "fact: (geo, year, metric)", "geo, metric"),
    ("observations", "value extracted from a sheet", "source_file, char_start, metric"),
)
SINGLE = (
    ("metrics", "metric of the catalog", "scope desc, metric"),
    ("geos", "state, district, territory or the nation", "geo"),
    ("rejections", "failed check", 'source_file, "check", metric'),
)


class ExportError(Exception):
    """The export cannot be written; the message is one line for the user."""


@dataclass(frozen=True)
class ExportSummary:
    out: Path
    load_id: str | None
    datasets: tuple[Dataset, ...]

    @property
    def bytes(self) -> int:
        return sum(d.bytes for d in self.datasets)


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} is a file; --out must be a folder (new, empty, or a previous export)")
    # Replacing a folder deletes it: only ever one that an export wrote.
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise ExportError(f"{out} is not empty and holds no previous export ({MANIFEST}); "
                          "choose a new or empty folder")
    if not out.absolute().parent.is_dir():
        raise ExportError(f"the folder {out.absolute().parent} does not exist")


def _write(table: pa.Table, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path.stat().st_size


def _latest_load(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute("select load_id from load_runs where status = 'completed' "
                      "order by finished_at desc limit 1").fetchone()
    return row[0] if row else None


def _years(con: duckdb.DuckDBPyConnection, table: str) -> list[int]:
    return [int(y) for (y,) in con.execute(f"select distinct year from {table} order by year").fetchall()]


def _export_partitioned(con: duckdb.DuckDBPyConnection, tmp: Path, table: str, grain: str, order: str,
                        step: Callable[[str], None]) -> Dataset:
    rows = size = files = 0
    schema = con.sql(f"select * from {table} limit 0").to_arrow_table().schema
    (tmp / table).mkdir()  # there even when empty, so the layout never changes
    for year in _years(con, table):
        step(f"{table} {year}")
        part = con.sql(f"select * exclude (year) from {table} where year = $year order by {order}",
                       params={"year": year}).to_arrow_table()
        size += _write(part, tmp / table / f"year={year}" / "part-0.parquet")
        rows, files = rows + part.num_rows, files + 1
    columns = tuple((f.name, str(f.type)) for f in schema)
    return Dataset(name=table, path=f"{table}/", grain=grain, rows=rows, files=files, bytes=size,
                   columns=columns, partition="year")


def _export_single(con: duckdb.DuckDBPyConnection, tmp: Path, table: str, grain: str, order: str,
                   step: Callable[[str], None]) -> Dataset:
    step(table)
    data = con.sql(f"select * from {table} order by {order}").to_arrow_table()
    size = _write(data, tmp / f"{table}.parquet")
    return Dataset(name=table, path=f"{table}.parquet", grain=grain, rows=data.num_rows, files=1,
                   bytes=size, columns=tuple((f.name, str(f.type)) for f in data.schema))


def count_steps(con: duckdb.DuckDBPyConnection) -> int:
    return sum(len(_years(con, t)) for t, _, _ in PARTITIONED) + len(SINGLE) + 1


def _swap(tmp: Path, out: Path) -> None:
    """Put the finished export in place of the previous one."""
    if not out.exists():
        tmp.rename(out)
        return
    old = out.parent / f".{out.name}.{uuid.uuid4().hex[:8]}.old"
    out.rename(old)
    try:
        tmp.rename(out)
    except OSError:
        old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def export(db: Path, out: Path, on_start: Callable[[int], None] | None = None,
           on_step: Callable[[str], None] | None = None) -> ExportSummary:
    """Write the warehouse's tables as parquet under `out`, with a data dictionary and a manifest.

    `on_start(n)` is called once with the number of steps, `on_step(label)` before each step
    (a progress bar's hooks).
    """
    out = Path(out)
    _check_target(out)
    con = warehouse.connect(db, read_only=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.absolute().parent))
    try:
        step = on_step or (lambda label: None)
        try:
            if on_start:
                on_start(count_steps(con))
            datasets = [_export_partitioned(con, tmp, *spec, step) for spec in PARTITIONED]
            datasets += [_export_single(con, tmp, *spec, step) for spec in SINGLE]
            load_id = _latest_load(con)
        except duckdb.Error as exc:
            raise ExportError(f"cannot read {db}: {str(exc).splitlines()[0]}") from None
        finally:
            con.close()
        step("data dictionary")
        exported_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        (tmp / DICTIONARY).write_text(dictionary.render(datasets, load_id, exported_at), "utf-8")
        manifest = {"exported_at": exported_at, "load_id": load_id,
                    "datasets": [{**asdict(d), "columns": [list(c) for c in d.columns]} for d in datasets]}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        tmp.chmod(0o755)  # mkdtemp makes it 0700; an export is for others to read
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ExportSummary(out=out, load_id=load_id, datasets=tuple(datasets))
