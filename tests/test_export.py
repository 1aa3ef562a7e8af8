"""`ncmec export`: parquet read back equals the warehouse; the data dictionary names everything;
a failed export leaves the previous one whole."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli.commands import app
from pipelines.core import catalog, tables
from pipelines.outputs import dictionary, export

runner = CliRunner()


@pytest.fixture(scope="module")
def db(analyst_db) -> Path:
    return analyst_db


@pytest.fixture(scope="module")
def exported(db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out") / "exports"
    result = runner.invoke(app, ["export", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "facts/" in result.stdout and "rows in" in result.stdout
    return out


def table(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return sorted(con.execute(sql).fetchall(), key=repr)
    finally:
        con.close()


def read_back(sql: str) -> list[tuple]:
    return sorted(duckdb.sql(sql).fetchall(), key=repr)


def test_layout(exported):
    assert sorted(p.name for p in exported.iterdir()) == [
        "data_dictionary.md", "facts", "geos.parquet", "manifest.json", "metrics.parquet", "observations",
        "rejections.parquet"]
    assert sorted(p.name for p in (exported / "facts").iterdir()) == [
        "year=2021", "year=2022", "year=2023", "year=2024"]
    assert [p.name for p in (exported / "facts" / "year=2023").iterdir()] == ["part-0.parquet"]
    assert not list(exported.parent.glob(".exports.*"))  # no temporary folder left behind


def test_facts_read_back_equal_the_facts_table(db, exported):
    facts = f"read_parquet('{exported}/facts/*/*.parquet', hive_partitioning = true)"
    cols = "geo, year::integer, metric, value, qualifier, unit, source_file, n_sources, load_id"
    assert read_back(f"select {cols} from {facts}") == table(db, f"select {cols} from facts")
    assert len(table(db, "select * from facts")) == 108  # 31 of the seeds, 77 of the variants


@pytest.mark.parametrize("name", ["observations", "metrics", "geos", "rejections"])
def test_other_tables_read_back_equal(db, exported, name):
    path = (f"read_parquet('{exported}/{name}/*/*.parquet', hive_partitioning = true)"
            if name == "observations" else f"'{exported}/{name}.parquet'")
    columns = [c for (c, *_) in duckdb.connect(str(db), read_only=True).execute(f"describe {name}").fetchall()]
    cols = ", ".join(f'"{c}"::integer' if c == "year" else f'"{c}"' for c in columns)
    got = read_back(f"select {cols} from {path}")
    assert got == table(db, f"select {cols} from {name}")
    assert got  # every table has rows in this warehouse


def test_pandas_and_polars_read_the_partitions(exported, db):
    import pandas as pd
    import polars as pl

    n = table(db, "select count(*) from facts")[0][0]
    facts = pd.read_parquet(exported / "facts")
    assert len(facts) == n and set(facts["year"].astype(int)) == {2021, 2022, 2023, 2024}
    lazy = pl.scan_parquet(exported / "facts" / "**" / "*.parquet", hive_partitioning=True)
    assert lazy.select(pl.len()).collect().item() == n
    assert (lazy.filter(pl.col("year") == 2023).collect().height
            == table(db, "select count(*) from facts where year = 2023")[0][0])


def missing_from_dictionary(text: str, manifest: dict) -> list[str]:
    """Every metric and every exported column the dictionary fails to name, or names without a description."""
    missing = [f"metric {m.metric}" for m in catalog.metrics() if f"| `{m.metric}` | {m.scope} |" not in text]
    for d in manifest["datasets"]:
        section = text.split(f"\n## {d['name']}\n", 1)[-1].split("\n## ", 1)[0] if f"\n## {d['name']}\n" in text else ""
        for column, _ in d["columns"]:
            if not re.search(rf"^\| `{re.escape(column)}` \| [^|]+ \| *[^|\s][^|]* \|$", section, re.M):
                missing.append(f"column {d['name']}.{column}")
    return missing


def test_the_dictionary_names_every_metric_and_column(exported):
    text = (exported / "data_dictionary.md").read_text("utf-8")
    manifest = json.loads((exported / "manifest.json").read_text("utf-8"))
    assert {d["name"] for d in manifest["datasets"]} == {"facts", "observations", "metrics", "geos", "rejections"}
    assert missing_from_dictionary(text, manifest) == []
    # The check above does catch a gap.
    gap = text.replace("| `team_adam_cases_assisted` | state |", "| team_adam | state |")
    gap = re.sub(r"^\| `n_sources` .*$", "", gap, flags=re.M)
    assert missing_from_dictionary(gap, manifest) == ["metric team_adam_cases_assisted", "column facts.n_sources"]


def test_every_column_of_an_exported_table_has_a_description():
    """A column added to pipelines/core/tables.py needs a description there."""
    exported = [name for name, *_ in (*export.PARTITIONED, *export.SINGLE)]
    for table_name in exported:
        for column in tables.TABLES[table_name].names:
            assert dictionary.describe(table_name, column), f"{table_name}.{column} has no description"


def test_the_dictionary_states_the_caveats(exported):
    text = (exported / "data_dictionary.md").read_text("utf-8")
    assert "not a count of victims" in text
    assert "running total" in text and "cvip_children_identified_cumulative" in text
    assert "National figures repeat on every sheet" in text


def test_a_failed_export_leaves_the_previous_one_whole(db, tmp_path, monkeypatch):
    out = tmp_path / "exports"
    assert runner.invoke(app, ["export", "--db", str(db), "--out", str(out)]).exit_code == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(dictionary, "render", broken)
    result = runner.invoke(app, ["export", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 2 and "No space left on device" in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exports"]  # the temporary folder is gone

    monkeypatch.undo()
    again = export.export(db, out)  # a good export replaces the previous one, leaving nothing beside it
    assert again.out == out and sorted(p.name for p in tmp_path.iterdir()) == ["exports"]


def test_out_must_be_a_folder_an_export_may_replace(db, tmp_path):
    a_file = tmp_path / "exports"
    a_file.write_text("not a folder")
    result = runner.invoke(app, ["export", "--db", str(db), "--out", str(a_file)])
    assert result.exit_code == 2 and "is a file" in result.stderr
    assert a_file.read_text() == "not a folder"

    someone_elses = tmp_path / "mine"
    someone_elses.mkdir()
    (someone_elses / "notes.txt").write_text("keep me")
    result = runner.invoke(app, ["export", "--db", str(db), "--out", str(someone_elses)])
    assert result.exit_code == 2 and "not empty" in result.stderr
    assert (someone_elses / "notes.txt").read_text() == "keep me"

    result = runner.invoke(app, ["export", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "no warehouse" in result.stderr
    assert not (tmp_path / "x").exists()


def test_the_readme_snippets_run_on_an_export(exported):
    """The README's DuckDB, pandas and polars snippets (## For analysts) run as written."""
    import subprocess
    import sys

    from conftest import REPO

    readme = (REPO / "README.md").read_text("utf-8")
    analysts = readme.split("\n## For analysts\n", 1)[1].split("\n## ", 1)[0]
    snippets = re.findall(r"```python\n(.*?)```", analysts, re.S)
    assert len(snippets) == 3
    for code in snippets:
        result = subprocess.run([sys.executable, "-c", code], cwd=exported.parent, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip()
