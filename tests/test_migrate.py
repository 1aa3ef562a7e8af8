"""Warehouses made by earlier releases are migrated to the tables this release declares, by
numbered migrations that can add, rename and retype columns; a warehouse that does not match
its declaration is refused with a reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import RAW, SEEDS, query, seed_raw

from pipelines.core import tables
from pipelines.orchestration import run
from pipelines.store import load, migrate, warehouse

RELEASE_0_1_0 = Path(__file__).parent / "fixtures" / "warehouse-0.1.0"  # EXPORT DATABASE of its run on the seeds


def _import(folder: Path, db: Path) -> None:
    con = duckdb.connect(str(db))
    try:
        con.execute((folder / "schema.sql").read_text())
        for line in (folder / "load.sql").read_text().splitlines():
            if line.strip():
                con.execute(line.replace("FROM '", f"FROM '{folder}/"))
    finally:
        con.close()


def _declared(db: Path) -> None:
    con = duckdb.connect(str(db))
    try:
        migrate.check(con)
    finally:
        con.close()


def test_a_warehouse_made_by_release_0_1_0_is_migrated_and_keeps_its_rows(tmp_path):
    db = tmp_path / "ncmec.duckdb"
    _import(RELEASE_0_1_0, db)
    before = query(db, "select geo, year, metric, value, load_id from facts order by all")
    assert len(before) == 31 and "flow_run_id" not in {c for (c,) in query(
        db, "select column_name from duckdb_columns() where table_name = 'load_runs'")}
    summary = run.run(seed_raw(tmp_path / "raw"), db)  # the same sheets, parsed by this release
    _declared(db)
    assert query(db, "select version, name from schema_migrations order by version") == [
        (1, "load_runs_flow_run_id"), (2, "metrics_caveat"), (3, "load_runs_flow_run_url")]
    assert query(db, "select caveat from metrics where metric = 'cvip_children_identified_cumulative'")[0][0]
    # Unchanged values keep the load_id of the run that wrote them in 0.1.0: nothing changed.
    assert query(db, "select geo, year, metric, value, load_id from facts order by all") == before
    assert summary.stats.facts_added == summary.stats.facts_changed == 0
    # The run made here has no Prefect flow run (run.run is the library, no flow).
    assert query(db, "select count(*), count(flow_run_id), count(flow_run_url) from load_runs") == [(2, 0, 0)]


def test_a_new_warehouse_is_the_declared_tables_with_every_migration_done(tmp_path):
    db = tmp_path / "new.duckdb"
    run.run(seed_raw(tmp_path / "raw"), db)
    _declared(db)
    assert [v for (v,) in query(db, "select version from schema_migrations")] == \
        [v for v, _, _ in migrate.migrations()]
    # Each column's description is in the catalog too, for SQL users.
    comment = query(db, "select comment from duckdb_columns() where table_name = 'facts' and column_name = 'n_sources'")
    assert comment == [(tables.FACTS.column("n_sources").description,)]


def test_migrations_rename_and_retype_columns(tmp_path):
    """An earlier release that called the FIPS code `fips_code` and kept `n_sources` as text: two
    numbered migrations bring it to the declared tables, rows and all."""
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    migrate.migrate(con)
    con.execute("insert into geos values ('WI', 'Wisconsin', 'state', '55', 'L0')")
    con.execute("insert into facts values "
                "('WI', 2023, 'team_adam_cases_assisted', 1, 'exact', 'cases', 'wi.txt', 2, 'L0')")
    con.execute("alter table geos rename column fips to fips_code")
    con.execute("alter table facts alter column n_sources type varchar")
    con.execute("delete from schema_migrations where version >= 900")
    folder = tmp_path / "migrations"
    shutil.copytree(Path(migrate.__file__).parent / "migrations", folder)
    (folder / "900_geos_fips.sql").write_text("alter table geos rename column fips_code to fips;")
    (folder / "901_facts_n_sources_integer.sql").write_text("alter table facts alter column n_sources type integer;")
    with pytest.raises(migrate.SchemaError, match=r"table facts is .*n_sources varchar.*declares .*n_sources integer"):
        migrate.check(con)
    assert migrate.migrate(con, folder) == ["900_geos_fips", "901_facts_n_sources_integer"]
    migrate.check(con)
    assert con.execute("select fips from geos").fetchall() == [("55",)]
    assert con.execute("select n_sources + 1 from facts").fetchall() == [(3,)]
    con.close()


def test_a_migration_that_fails_leaves_the_warehouse_as_it_was(tmp_path):
    """The pending migrations run in one transaction: one that fails half way undoes them all."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    migrate.migrate(con)
    con.execute("insert into geos values ('WI', 'Wisconsin', 'state', '55', 'L0')")
    folder = tmp_path / "migrations"
    shutil.copytree(Path(migrate.__file__).parent / "migrations", folder)
    (folder / "900_geos_rebuilt.sql").write_text("delete from geos; alter table geos rename to geos_old;")
    (folder / "901_broken.sql").write_text("select no_such_column from documents;")
    with pytest.raises(duckdb.BinderException):
        migrate.migrate(con, folder)
    assert con.execute("select geo from geos").fetchall() == [("WI",)]
    assert con.execute("select max(version) from schema_migrations").fetchall() == [(len(migrate.migrations()),)]
    con.close()


def test_a_warehouse_that_does_not_match_is_refused_with_a_reason(tmp_path):
    db = tmp_path / "odd.duckdb"
    con = duckdb.connect(str(db))
    migrate.migrate(con)
    con.execute("alter table rejections drop column evidence")
    con.close()
    with pytest.raises(warehouse.WarehouseError, match="table rejections is .* a migration is missing"):
        load.begin_run(db, "raw", "L1", __import__("datetime").datetime.now())


def test_the_previous_release_fixture_is_the_0_1_0_schema():
    """The fixture is what release 0.1.0 wrote: its load_runs has no flow_run_id, and its views."""
    schema = (RELEASE_0_1_0 / "schema.sql").read_text()
    assert "flow_run_id" not in schema and "caveat" not in schema and "CREATE VIEW missing_breakdown" in schema
    assert set(SEEDS) <= {p.name for p in RAW.iterdir()}
