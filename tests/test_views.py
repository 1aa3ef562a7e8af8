"""The SQL views in warehouse/*.sql, against the values the seed and variant sheets state.

The `analyst_db` fixture (conftest.py; shared with the export, report and status tests) loads the two seeds
plus variant sheets of other years through the public flow: Wisconsin 2021, Illinois 2024, New
Hampshire 2022, DC 2021 (no HHS-ORR row), Nevada 2023 (breakdown does not add up) and a recipe
(not a fact sheet).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO, query

from pipelines.core import catalog, registry
from pipelines.store.views import VIEWS, placeholders, view_files, view_sql
from pipelines.store.warehouse import WarehouseError


@pytest.fixture(scope="module")
def db(analyst_db) -> Path:
    return analyst_db


def rows(db: Path, sql: str, params=()) -> list[dict]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def test_every_view_file_is_lowercase_sql_ending_in_a_final_cte():
    files = view_files()
    stems = [f.name.removesuffix(".sql") for f in files]
    assert set(VIEWS) <= {re.sub(r"^\d+_", "", stem) for stem in stems}
    for f, stem in zip(files, stems, strict=True):
        sql = re.sub(r"--.*", "", f.read_text("utf-8"))  # comments may be prose
        code = re.sub(r"'[^']*'", "''", sql)  # and string literals ('US') keep their case
        assert code == code.lower(), f.name
        assert f"create or replace view {re.sub(r'^[0-9]+_', '', stem)} as" in code
        assert re.search(r"final as \(.*\)\s*select \* from final", code, re.S), f.name


def test_the_views_and_migrations_ship_with_the_package(tmp_path):
    """A non-editable install (Dask workers, a server) creates the same views: the wheel carries
    warehouse/*.sql as pipelines/views, and the migrations."""
    import subprocess
    import sys
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"pipelines/views/{p.name}" for p in (REPO / "warehouse").glob("*.sql")} <= names
    migrations = REPO / "pipelines" / "store" / "migrations"
    assert {f"pipelines/store/migrations/{p.name}" for p in migrations.glob("*.sql")} <= names
    templates = REPO / "pipelines" / "outputs" / "templates"
    assert {f"pipelines/outputs/templates/{p.name}" for p in templates.glob("*.j2")} <= names
    assert {"flows.py", "pipelines/core/catalog.toml"} <= names


def test_a_missing_view_fails_the_load(db_path, raw_dir, monkeypatch):
    from pipelines.orchestration import run
    from pipelines.store import views

    files = views.view_files()
    monkeypatch.setattr(views, "view_files", lambda: [f for f in files if "breakdown" not in f.name])
    with pytest.raises(WarehouseError, match="no view file for missing_breakdown"):
        run.run(raw_dir, db_path)


def test_no_view_file_spells_a_metric_or_a_check():
    """The views take the catalog's metrics and the registry's checks from placeholders
    (pipelines/store/views.py); a view file that spelled one, even in a comment, would go stale
    when either changes."""
    names = {*catalog.metric_names(), *registry.NAMES}
    for f in view_files():
        text = f.read_text("utf-8")
        spelled = sorted(n for n in names if re.search(rf"\b{n}\b", text))
        assert not spelled, f"{f.name} spells {spelled}: use a placeholder"
        assert set(re.findall(r"\{\{(\w+)\}\}", text)) <= set(placeholders()), f.name


def test_a_placeholder_of_several_columns_is_one_to_a_line_at_its_indentation():
    sql = view_sql("select\n    geo,\n    {{cols}}\nfrom t", {"cols": ["a", "b"]})
    assert sql == "select\n    geo,\n    a,\n    b\nfrom t"


def test_an_unknown_placeholder_is_a_named_error():
    with pytest.raises(WarehouseError, match=r"\{\{nope\}\}"):
        view_sql("select {{nope}}")


def test_missing_breakdown_has_a_column_per_row_of_the_catalog_s_table(db):
    columns = [r for (r,) in query(db, "select column_name from information_schema.columns "
                                       "where table_name = 'missing_breakdown' order by ordinal_position")]
    assert columns == ["geo", "year", "total", *catalog.breakdown_rows(), "parts_sum", "parts_stated", "agrees",
                       "accepted", "source_file"]


def test_every_run_creates_the_views(db):
    assert {r for (r,) in query(db, "select view_name from duckdb_views() where not internal")} >= set(VIEWS)


def test_state_year_wide_has_a_column_for_every_catalog_metric(db):
    columns = [r for (r,) in query(db, "select column_name from information_schema.columns "
                                       "where table_name = 'state_year_wide' order by ordinal_position")]
    metrics = catalog.metric_names()
    missing = [m for m in metrics if m not in columns]
    assert not missing, f"catalog metrics missing from warehouse/10_state_year_wide.sql: {missing}"
    assert columns == ["geo", "name", "year", *metrics]


def test_state_year_wide_is_one_row_per_place_and_year_with_the_seed_values(db):
    wide = {(r["geo"], r["year"]): r for r in rows(db, "select * from state_year_wide")}
    assert set(wide) == set(query(db, "select distinct geo, year from facts"))
    wi = wide[("WI", 2023)]
    assert wi["name"] == "Wisconsin"
    assert (wi["cybertipline_reports_to_law_enforcement"], wi["cvip_submissions_reviewed"], wi["missing_child_cases"],
            wi["missing_from_social_services"], wi["missing_other"], wi["missing_reported_by_hhs_orr"],
            wi["cst_social_service_engagements"], wi["team_hope_families_supported"],
            wi["faon_mental_health_connections"], wi["team_adam_cases_assisted"],
            wi["connect_new_professionals"]) == (8468, 155, 204, 137, 62, 5, 19, 70, 50, 1, 102)
    assert wi["cybertipline_reports_received"] is None  # national metrics live on the US row
    us = wide[("US", 2023)]
    assert (us["cybertipline_reports_received"], us["missing_child_cases"], us["team_hope_families_supported"],
            us["cst_likely_victim_share_pct"]) == (36_200_000, 28_886, 5_759, 19)
    assert us["cybertipline_reports_to_law_enforcement"] is None
    assert wide[("DC", 2021)]["missing_reported_by_hhs_orr"] is None  # not stated: null, never 0
    assert wide[("IL", 2024)]["cybertipline_reports_to_law_enforcement"] == 24870


def test_missing_breakdown_per_sheet(db):
    got = {(r["geo"], r["year"]): r for r in rows(db, "select * from missing_breakdown")}
    assert set(got) == {("WI", 2023), ("IL", 2023), ("WI", 2021), ("IL", 2024), ("NH", 2022), ("DC", 2021),
                        ("NV", 2023)}
    keys = ("total", "missing_from_social_services", "missing_other", "missing_reported_by_hhs_orr",
            "parts_sum", "parts_stated", "agrees", "accepted", "source_file")
    assert tuple(got[("WI", 2023)][k] for k in keys) == (204, 137, 62, 5, 204, 3, True, True, "wisconsin_2023.txt")
    assert tuple(got[("IL", 2023)][k] for k in keys) == (980, 805, 133, 42, 980, 3, True, True, "illinois_2023.txt")
    # Nevada's rows add up to 407, not 412: shown, not agreeing, and rejected.
    assert tuple(got[("NV", 2023)][k] for k in keys) == (
        412, 301, 97, 9, 407, 3, False, False, "reject_breakdown_nv_2023.txt")
    # DC 2021 has no HHS-ORR row (absent, not 0): the rows it lists, 266 + 35, make its total.
    assert tuple(got[("DC", 2021)][k] for k in keys) == (
        301, 266, 35, None, 301, 2, True, True, "dc_2021_bold_place_wrap80.txt")


def test_state_share_of_national(db):
    got = {(r["geo"], r["year"], r["metric"]): r for r in rows(db, "select * from state_share_of_national")}
    assert {m for _, _, m in got} == {"missing_child_cases", "missing_from_social_services",
                                      "team_hope_families_supported"}
    assert all(g != "US" for g, _, _ in got)
    wi = got[("WI", 2023, "missing_child_cases")]
    assert (wi["state_value"], wi["national_value"]) == (204, 28886)
    assert wi["share"] == pytest.approx(204 / 28886)
    assert wi["not_exact"] is False
    assert got[("IL", 2024, "team_hope_families_supported")]["share"] == pytest.approx(160 / 6104)
    # Nevada's breakdown values were rejected, so it has no missing_child_cases fact and no share.
    assert ("NV", 2023, "missing_child_cases") not in got
    assert ("NV", 2023, "team_hope_families_supported") in got
    # Every state fact of a shared metric with a national fact of its year has exactly one row.
    expected = query(db, """select count(*) from facts s join facts n on n.geo = 'US' and s.geo <> 'US'
                            and n.year = s.year and n.metric = s.metric""")[0][0]
    assert len(got) == expected


def test_year_over_year(db):
    got = {(r["geo"], r["metric"], r["year"]): r for r in rows(db, "select * from year_over_year")}
    wi = got[("WI", "cybertipline_reports_to_law_enforcement", 2023)]
    assert (wi["previous_year"], wi["previous_value"], wi["value"], wi["change"]) == (2021, 6112, 8468, 2356)
    assert wi["pct_change"] == pytest.approx(100 * 2356 / 6112)
    assert wi["not_exact"] is False
    il = got[("IL", "missing_child_cases", 2024)]
    assert (il["previous_year"], il["change"]) == (2023, 1034 - 980)
    # National figures, one geo ('US') even where the metric name is also a state metric.
    us = got[("US", "cybertipline_reports_received", 2023)]
    assert (us["previous_year"], us["previous_value"], us["value"]) == (2022, 32_000_000, 36_200_000)
    assert us["not_exact"] is True  # "more than 32 million" to "36.2 million"
    assert got[("US", "missing_child_cases", 2022)]["change"] == 27816 - 27204
    assert got[("US", "missing_child_cases", 2022)]["not_exact"] is False
    # The first year of a series has no row; places with one year have none at all.
    assert ("WI", "cybertipline_reports_to_law_enforcement", 2021) not in got
    assert not [k for k in got if k[0] in ("NV", "NH", "DC")]
