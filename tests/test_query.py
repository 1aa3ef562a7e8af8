"""`ncmec query` is read-only: a statement that writes is refused, and a result reaches a file
only through `--out` (tests/test_sandbox.py tries everything else)."""

from __future__ import annotations

import csv
import shutil

from conftest import snapshot
from typer.testing import CliRunner

from pipelines.cli.commands import app

runner = CliRunner()


def query(db, sql, *args):
    return runner.invoke(app, ["query", "--db", str(db), *args, sql])


def test_out_writes_the_result_and_leaves_the_warehouse_as_it_was(analyst_db, tmp_path):
    db = tmp_path / "ncmec.duckdb"
    shutil.copyfile(analyst_db, db)
    before = snapshot(db)
    out = tmp_path / "wi.csv"
    result = query(db, "select geo, year, metric, value from facts where geo = 'WI' order by all", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 22 and {r["geo"] for r in rows} == {"WI"}
    assert snapshot(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ncmec.duckdb", "wi.csv"]  # nothing left beside it


def test_statements_that_write_are_refused(analyst_db, tmp_path):
    db = tmp_path / "ncmec.duckdb"
    shutil.copyfile(analyst_db, db)
    exported = tmp_path / "facts.parquet"
    assert query(db, "select * from facts", "--out", str(exported)).exit_code == 0
    before = snapshot(db)
    for sql, why in ((f"copy facts from '{exported}'", "`copy` writes a file"),
                     ("insert into facts select * from facts", "the warehouse read-only"),
                     ("delete from rejections", "the warehouse read-only"),
                     ("create table mine as select 1 as x", "the warehouse read-only"),
                     ("drop view missing_breakdown", "the warehouse read-only"),
                     (f"copy (select 1) to '{tmp_path / 'x.csv'}'", "use --out FILE")):
        result = query(db, sql)
        assert result.exit_code == 1, sql
        assert result.stderr.startswith("ncmec query: error: refused: ") and why in result.stderr, (sql, result.stderr)
        assert result.stderr.count("\n") == 1
    assert snapshot(db) == before
    assert not (tmp_path / "x.csv").exists()
