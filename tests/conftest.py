"""Shared fixtures. Prefect's home and database live in a temporary folder for the whole session
(set before anything imports Prefect), and one test-harness server serves every flow test."""

from __future__ import annotations

import os
import shutil
import tempfile
from functools import cache
from pathlib import Path

_PREFECT_HOME = tempfile.mkdtemp(prefix="ncmec-test-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.pop("PREFECT_API_URL", None)  # never a developer's real server
os.environ.pop("NCMEC_DB", None)  # nor their warehouse or raw folder: a command without --db means the default
os.environ.pop("NCMEC_RAW", None)
# pytest-xdist's workers start with COLUMNS=80, which would fix the width of the console script's
# consoles when it is imported: each test that needs a width gives its own.
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)

import duckdb  # noqa: E402
import pytest  # noqa: E402
from realprocesses import deliver_sigint  # noqa: E402

deliver_sigint()  # a test's Ctrl-C reaches the processes it starts, however pytest was started

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "raw"
SHARED_SEEDS = REPO.parent / "shared" / "seeds"
SEEDS = {"wisconsin_2023.txt": "000_688fd10d68973722.txt", "illinois_2023.txt": "004_7be2b4a232efdfb0.txt"}
# Tables whose content a run over unchanged inputs must leave exactly as it was.
MIRRORED = ("documents", "observations", "facts", "rejections", "metrics", "geos", "fact_changes")


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def prefect_server():
    """A temporary Prefect server for the session; yields its API URL."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield PREFECT_API_URL.value()


# Seeds plus variant sheets of other years (one with a breakdown that does not add up, one that
# is no fact sheet): the warehouse the view, export, report and status tests read.
ANALYST_VARIANTS = ("wi_2021.txt", "il_2024_illinois_wording.txt", "nh_2022_wrap72.txt",
                    "dc_2021_bold_place_wrap80.txt", "reject_breakdown_nv_2023.txt", "not_a_fact_sheet_recipe.txt")


@pytest.fixture(scope="session")
def analyst_db(prefect_server, tmp_path_factory) -> Path:
    """Loaded once by the flow; the tests that use it only read it (or copy it first)."""
    from flows import warehouse_flow

    tmp = tmp_path_factory.mktemp("analyst")
    raw = seed_raw(tmp / "raw", *ANALYST_VARIANTS)
    (tmp / "warehouse").mkdir()
    db = tmp / "warehouse" / "ncmec.duckdb"
    warehouse_flow(raw=str(raw), db=str(db))
    return db


def seed_raw(raw: Path, *variants: str) -> Path:
    """Make `raw` a new raw folder holding the two seed sheets and the named variant sheets."""
    raw.mkdir()
    for name in SEEDS:
        shutil.copyfile(RAW / name, raw / name)
    for name in variants:
        shutil.copyfile(REPO / "tests" / "variants" / name, raw / name)
    return raw


@pytest.fixture
def raw_dir(tmp_path: Path) -> Path:
    """A raw folder holding the two seed sheets."""
    return seed_raw(tmp_path / "raw")


@pytest.fixture
def processes(tmp_path: Path):
    """The real processes a test starts (tests/realprocesses.py): whatever the test leaves, its
    end stops, however the test ends."""
    from realprocesses import Processes

    logs = tmp_path / "logs"
    logs.mkdir()
    procs = Processes(logs)
    try:
        yield procs
    finally:
        procs.cleanup()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    (tmp_path / "warehouse").mkdir()
    return tmp_path / "warehouse" / "ncmec.duckdb"


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    """The fetch tests' raw folder: the Illinois seed alone, beside which a fetched sheet lands
    (tests/fetchkit.py)."""
    import fetchkit

    return fetchkit.raw_folder(tmp_path)


@pytest.fixture
def site():
    """A web server on 127.0.0.1 for the fetch tests (tests/sheetserver.py); a module whose tests
    all fetch one sheet overrides it to serve that sheet from the start."""
    from sheetserver import SheetServer

    with SheetServer() as server:
        yield server


@cache
def corpus_doc(path: Path):
    """A corpus file as the extractor reads it, parsed once in a test process for every module
    that asks: the snapshot, the variant and the exporter tests read the same files."""
    from pipelines.extract.sheet import parse_file

    return parse_file(path)


def snapshot(db: Path, tables=MIRRORED) -> dict[str, list[tuple]]:
    """Every row of each table, sorted, for comparing whole warehouses."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: sorted(con.execute(f"select * from {t}").fetchall(), key=repr) for t in tables}
    finally:
        con.close()


def query(db: Path, sql: str, params=()) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()
