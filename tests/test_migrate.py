"""Warehouses made by earlier releases are migrated to the tables this release declares, by
numbered migrations that can add, rename and retype columns; a warehouse that does not match
its declaration is refused with a reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import RAW, SEEDS, query, seed_raw

from pipelines.core import figures, tables
from pipelines.orchestration import run
from pipelines.store import load, migrate, warehouse

RELEASE_0_1_0 = Path(__file__).parent / "fixtures" / "warehouse-0.1.0"  # EXPORT DATABASE of its run on the seeds
# EXPORT DATABASE of a warehouse that release 0.3.0 made (git archive 1a71e5d, run.run): a run on the seeds and
# tests/variants/wi_2021.txt, then one on the inputs of `raw_0_3_0`, whose 2021 sheets state 17.5% (a fact
# changed from 17 to 17.5) and whose DC sheet states 1,140.5 reports (rejected by count_whole).
RELEASE_0_3_0 = Path(__file__).parent / "fixtures" / "warehouse-0.3.0"
VARIANTS = Path(__file__).parent / "variants"
NEW_SINCE_0_3_0 = [(4, "whole_values_scope_title"), (5, "fetches")]  # 0.4.0 and 0.5.0 (the fetch ledger)


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
        (1, "load_runs_flow_run_id"), (2, "metrics_caveat"), (3, "load_runs_flow_run_url"), *NEW_SINCE_0_3_0]
    assert query(db, "select caveat from metrics where metric = 'cvip_children_identified_cumulative'")[0][0]
    assert query(db, "select count(*) from metrics where title is null") == [(0,)]
    # Unchanged values keep the load_id of the run that wrote them in 0.1.0: nothing changed.
    assert query(db, f"select geo, year, metric, {figures.exact()}, load_id from facts order by all") == before
    assert query(db, "select value, percent, scope from facts where metric = 'cst_likely_victim_share_pct'") == \
        [(19, 19.0, "national")]
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
                "('WI', 2023, 'team_adam_cases_assisted', 'state', 1, null, 'exact', 'cases', 'wi.txt', 2, 'L0')")
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


def raw_0_3_0(raw: Path) -> Path:
    """The inputs of the 0.3.0 fixture's last run, byte for byte."""
    seed_raw(raw)
    decimal = ("17% of these", "17.5% of these")
    for name, source, edits in (("wi_2021.txt", "wi_2021.txt", (decimal,)),
                                ("dc_2021.txt", "dc_2021_bold_place_wrap80.txt",
                                 (decimal, ("1,140 CyberTipline", "1,140.5 CyberTipline")))):
        text = (VARIANTS / source).read_text("utf-8")
        for old, new in edits:
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        (raw / name).write_text(text, "utf-8")
    return raw


# Every figure of a warehouse, by row: in 0.3.0 one DOUBLE, from 0.4.0 on the exact one of two columns.
_FIGURES = {"facts": "select geo, year, metric, load_id, {v} from facts",
            "observations": "select source_file, metric, char_start, accepted, load_id, {v} from observations",
            "fact_changes": "select geo, year, metric, change, load_id, {o}, {n} from fact_changes"}


def _figures(db: Path, release: str) -> dict[str, list[tuple]]:
    cols = ({"v": "value", "o": "old_value", "n": "new_value"} if release == "0.3.0" else
            {"v": figures.exact(), "o": figures.exact("old_"), "n": figures.exact("new_")})
    return {t: query(db, sql.format(**cols) + " order by all") for t, sql in _FIGURES.items()}


def test_a_warehouse_made_by_release_0_3_0_is_migrated_without_losing_a_figure(tmp_path, monkeypatch):
    db = tmp_path / "ncmec.duckdb"
    _import(RELEASE_0_3_0, db)
    before = _figures(db, "0.3.0")
    con = duckdb.connect(str(db))
    assert migrate.migrate(con) == [f"{v:03d}_{n}" for v, n in NEW_SINCE_0_3_0]  # and the tables are the declared
    con.close()
    # Every figure is where it was, but a count that is not whole: no BIGINT holds 1,140.5, and a
    # check rejected it (its reason states it).
    not_whole = [r for r in before["observations"] if r[-1] == 1140.5]
    assert len(not_whole) == 1
    migrated = _figures(db, "0.4.0")
    assert migrated == {**before, "observations": sorted(
        r[:-1] + (None,) if r in not_whole else r for r in before["observations"])}
    assert "1140.5" in query(db, """select reason from rejections where "check" = 'count_whole'""")[0][0]
    # Percentages are in `percent` (and in `value` when whole); counts are whole numbers.
    assert query(db, "select year, value, percent from facts where metric = 'cst_likely_victim_share_pct' "
                     "order by year") == [(2021, None, 17.5), (2023, 19, 19.0)]
    assert query(db, "select old_value, new_value, old_percent, new_percent from fact_changes "
                     "where change = 'changed'") == [(17, None, 17.0, 17.5)]
    assert query(db, "select count(*) from facts where percent is not null") == [(2,)]
    assert query(db, "select count(*) from observations where value is null and percent is null") == [(1,)]
    for table in ("facts", "observations"):
        assert query(db, f"select distinct scope = case geo when 'US' then 'national' else 'state' end "
                         f"from {table}") == [(True,)]
    assert query(db, "select count(*) from facts join metrics using (metric, scope)") == \
        query(db, "select count(*) from facts")

    # The next run over the same sheets, parsed by the same extractor, rewrites the tables from what
    # the warehouse holds (the titles from the catalog) and changes no figure. The DC sheet, whose
    # 1,140.5 the warehouse does not hold, is parsed again; the others are read back.
    parser = query(db, "select distinct parser from documents")[0][0]
    for module in ("pipelines.store.warehouse", "pipelines.validate.checks"):
        monkeypatch.setattr(f"{module}.parser_fingerprint", lambda: parser)
    summary = run.run(raw_0_3_0(tmp_path / "raw"), db)
    assert (summary.stats.files_parsed, summary.stats.facts_added, summary.stats.facts_changed) == (1, 0, 0)
    assert _figures(db, "0.4.0") == migrated  # load ids too: no row changed
    assert "1140.5" in query(db, """select reason from rejections where "check" = 'count_whole'""")[0][0]
    assert query(db, "select count(*) from metrics where title is null") == [(0,)]
    # ... and the run after it has nothing to do.
    assert run.run(tmp_path / "raw", db).stats.files_parsed == 0


def test_the_0_3_0_fixture_is_that_release_s_schema():
    schema = (RELEASE_0_3_0 / "schema.sql").read_text()
    assert '"value" DOUBLE NOT NULL' in schema and "flow_run_url" in schema and "percent" not in schema
    assert "title" not in schema


def test_a_reader_of_a_warehouse_not_yet_migrated_says_so_in_one_line_and_a_run_upgrades_it(tmp_path):
    """report, status, explain and export read the tables this release declares: on a 0.3.0 warehouse
    (its values one DOUBLE, no percent or scope) they would fail on a missing column, so they say
    what to do instead; the next run migrates it and they read it."""
    from typer.testing import CliRunner

    from pipelines.cli.commands import app

    db = tmp_path / "ncmec.duckdb"
    _import(RELEASE_0_3_0, db)
    commands = (["report", "--out", str(tmp_path / "r.html")], ["status"], ["explain", "WI", "2023", "missing_other"],
                ["export", "--out", str(tmp_path / "exports")])
    for args in commands:
        result = CliRunner().invoke(app, [*args, "--db", str(db)])
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.strip().count("\n") == 0
        assert ("has not had migration 004_whole_values_scope_title, 005_fetches: the next `ncmec run` upgrades "
                "it") in result.stderr
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "exports").exists()
    run.run(raw_0_3_0(tmp_path / "raw"), db)
    for args in commands:
        result = CliRunner().invoke(app, [*args, "--db", str(db)])
        assert result.exit_code == 0, (args, result.output)
