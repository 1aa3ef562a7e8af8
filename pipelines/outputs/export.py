"""Stage 5: parquet for analysts, with a data dictionary.

The export is written to a temporary folder beside `out` and renamed into place only when every
file is written, so a failed export leaves the previous one whole (pipelines/outputs/atomic.py). It
replaces only an empty folder or one whose every file its manifest lists: `manifest.json` names
each file the export wrote. Files reach the disk through pyarrow; no path is ever spliced into SQL.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.core import faults
from pipelines.outputs import atomic as outputs
from pipelines.outputs import dictionary
from pipelines.outputs.dictionary import Dataset
from pipelines.store import warehouse

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


# What an export writes, whatever a manifest says: a forged or stale manifest.json cannot make
# an export delete a file of another name.
_LAYOUT = re.compile(r"(?:facts|observations)/(?:year=-?\d+/(?:part-0\.parquet)?)?|(?:metrics|geos|rejections)\.parquet"
                     r"|data_dictionary\.md|manifest\.json")
MANIFEST_LIMIT = 1 << 20


def previous_export(out: Path) -> Callable[[str], bool] | None:
    """Whether a path under `out` (a folder ends with /) is one that the export there wrote, by
    its manifest; None when `out` holds no export's manifest. A manifest of 0.2.0 lists no
    files: then every path of the export's layout is admitted."""
    path = out / MANIFEST
    try:
        st = os.lstat(path)
        if not path.is_file() or path.is_symlink() or st.st_size > MANIFEST_LIMIT:
            return None
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("datasets"), list):
        return None
    files = manifest.get("files")
    listed = {f for f in files if isinstance(f, str)} if isinstance(files, list) else None
    folders = {p[: i + 1] for p in listed or () for i, c in enumerate(p) if c == "/"}

    def admits(rel: str) -> bool:
        if not _LAYOUT.fullmatch(rel):
            return False
        return listed is None or rel in listed or rel in folders or rel in ("facts/", "observations/")

    return admits


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


def check_target(db: Path, out: Path) -> None:
    """OutputError (one line) unless `out` is a folder the export may replace: new, empty, or a
    previous export holding only the files its manifest lists."""
    outputs.folder_target(Path(out), db, previous_export)


def export(db: Path, out: Path, on_start: Callable[[int], None] | None = None,
           on_step: Callable[[str], None] | None = None) -> ExportSummary:
    """Write the warehouse's tables as parquet under `out`, with a data dictionary and a manifest.

    `on_start(n)` is called once with the number of steps, `on_step(label)` before each step
    (a progress bar's hooks).
    """
    out, step = Path(out), on_step or (lambda label: None)
    check_target(db, out)
    con = warehouse.connect(db, read_only=True)
    try:
        warehouse.require_warehouse(con, db)
        with outputs.staged(out) as tmp:
            tmp.mkdir()
            datasets, load_id = _datasets(con, db, tmp, on_start, step)
            step("data dictionary")
            exported_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            (tmp / DICTIONARY).write_text(dictionary.render(datasets, load_id, exported_at), "utf-8")
            files = sorted([p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file()] + [MANIFEST])
            manifest = {"exported_at": exported_at, "load_id": load_id,
                        "datasets": [{**asdict(d), "columns": [list(c) for c in d.columns]} for d in datasets],
                        "files": files}
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    finally:
        con.close()
    return ExportSummary(out=out, load_id=load_id, datasets=tuple(datasets))


def _datasets(con: duckdb.DuckDBPyConnection, db: Path, tmp: Path, on_start: Callable[[int], None] | None,
              step: Callable[[str], None]) -> tuple[list[Dataset], str | None]:
    try:
        if on_start:
            on_start(count_steps(con))
        datasets = [_export_partitioned(con, tmp, *PARTITIONED[0], step)]
        faults.pause_point("export")  # a kill here leaves a half-written export behind (tests/test_outputs.py)
        datasets += [_export_partitioned(con, tmp, *spec, step) for spec in PARTITIONED[1:]]
        datasets += [_export_single(con, tmp, *spec, step) for spec in SINGLE]
        return datasets, _latest_load(con)
    except duckdb.Error as exc:
        raise ExportError(f"cannot read {db}: {str(exc).splitlines()[0]}") from None
