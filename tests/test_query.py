"""`ncmec query` is read-only: a statement that writes is refused, and `COPY ... TO` writes a
file of the user's but never the warehouse."""

from __future__ import annotations

import csv
import shutil

from conftest import snapshot
from typer.testing import CliRunner

from pipelines.cli import app

runner = CliRunner()


def query(db, sql):
    return runner.invoke(app, ["query", "--db", str(db), sql])


def test_copy_to_writes_a_file_and_leaves_the_warehouse_as_it_was(analyst_db, tmp_path):
    db = tmp_path / "ncmec.duckdb"
    shutil.copyfile(analyst_db, db)
    before = snapshot(db)
    out = tmp_path / "wi.csv"
    result = query(db, f"copy (select geo, year, metric, value from facts where geo = 'WI' order by all) "
                       f"to '{out}' (header)")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 22 and {r["geo"] for r in rows} == {"WI"}
    assert snapshot(db) == before


def test_statements_that_write_the_warehouse_are_refused(analyst_db, tmp_path):
    db = tmp_path / "ncmec.duckdb"
    shutil.copyfile(analyst_db, db)
    exported = tmp_path / "facts.parquet"
    assert query(db, f"copy facts to '{exported}' (format parquet)").exit_code == 0
    before = snapshot(db)
    for sql in (f"copy facts from '{exported}'", "insert into facts select * from facts",
                "delete from rejections", "create table mine as select 1 as x", "drop view missing_breakdown"):
        result = query(db, sql)
        assert result.exit_code == 1, sql
        assert "refused: the warehouse is opened read-only" in result.stderr, (sql, result.stderr)
    assert snapshot(db) == before
