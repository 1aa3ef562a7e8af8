"""A scheduled fetch (issue 23): `ncmec serve --fetch` against a real `prefect server start`, its
sources.toml listing a sheet on a web server on 127.0.0.1 (tests/sheetserver.py). The first
scheduled run fetches the sheet and loads it; the sheet then changes on the web server, and the
next scheduled run fetches it again (a conditional request that the new ETag answers with the new
PDF), replaces the file and loads the changed figure, recorded in `fact_changes`.

The server, `ncmec serve` and the check that no process is left behind: tests/scheduling.py.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from pathlib import Path

import httpx
import psutil
import pytest
from conftest import RAW, query
from realprocesses import environment, until
from scheduling import (
    artifacts,
    completed,
    nothing_left,
    posted,
    registered,
    runs,
    start_serve,
    start_server,
    stop_serve,
)
from sheetserver import SheetServer
from test_pdf import render

pytestmark = pytest.mark.scheduled

FLOW = "ncmec-fetch-and-load"
FIRST_RUN = 180  # the deployment registered, the cron minute (up to 60 s), the runner's poll, the run
NEXT_RUN = 180  # the next cron minute, the runner's poll, the run
# The figure that changes: one with no breakdown to add up to and no national figure to stay
# under, so the changed sheet passes every check as the first did (`ncmec parse` reads the same
# 20 observations from both PDFs, this one figure apart).
METRIC, OLD, NEW = "cst_social_service_engagements", 19, 23
SENTENCE = "NCMEC had {} engagements with Wisconsin social service agencies"
PATH, FILE = "/wi.pdf", "wi.pdf"  # the sheet's name in the raw folder: the URL's last segment
WI_FACTS = 11  # Wisconsin's own facts; the nation's come from both sheets
SEED_FACTS = 31


def _sheet(figure: int) -> bytes:
    """Wisconsin's 2023 sheet as a PDF, stating `figure` social service engagements."""
    text = (RAW / "wisconsin_2023.txt").read_text("utf-8")
    assert text.count(SENTENCE.format(OLD)) == 1, "the seed sheet's sentence changed: pick another figure"
    return render(text.replace(SENTENCE.format(OLD), SENTENCE.format(figure)), 190, 10, "L", True)


def _raw_with_illinois(tmp_path: Path) -> Path:
    """The raw folder: Illinois's sheet, put there by hand. The fetched sheet arrives beside it (a
    fetch leaves what it did not write alone), and the second run changes Wisconsin's figure
    only. Not Wisconsin's text sheet: that would be a second WI 2023 sheet, contradicted by the
    changed PDF."""
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copyfile(RAW / "illinois_2023.txt", raw / "illinois_2023.txt")
    return raw


def _settled(api: httpx.Client, deployment: str, procs) -> list[dict] | None:
    """The completed runs, once there is one and no run is pending or running: a sheet changed
    now is fetched by the next run, not by one under way."""
    found = runs(api, deployment, procs)
    busy = [r for r in found if r["state_type"] in ("PENDING", "RUNNING")]
    done = [r for r in found if r["state_type"] == "COMPLETED"]
    return done if done and not busy else None


def _ledger(db: Path, url: str) -> list[tuple]:
    return query(db, "select status, http_status, sha256, n_bytes, source_file from fetches where url = ? "
                     "order by fetched_at", [url])


def _statuses(rows: list) -> str:
    return " ".join(str(r) for r in rows)


def _check_first(db: Path, raw: Path, url: str, sheet: bytes) -> None:
    """After the first run: the sheet fetched (new) into the raw folder and loaded. (A run that
    started later, if any, found it unchanged.)"""
    ledger = _ledger(db, url)
    assert ledger[0] == ("new", 200, hashlib.sha256(sheet).hexdigest(), len(sheet), FILE), ledger
    assert re.fullmatch(r"new( unchanged)*", _statuses(r[0] for r in ledger)), ledger
    assert sorted(os.listdir(raw)) == ["illinois_2023.txt", FILE] and (raw / FILE).read_bytes() == sheet
    assert query(db, "select count(*), count(*) filter (where metric = ? and value = ?) from facts where geo = 'WI'",
                 [METRIC, OLD]) == [(WI_FACTS, 1)]


def _check_requests(site: SheetServer, old_etag: str) -> None:
    """The first request unconditional; every later one sends the ETag back, answered 304 while
    the sheet was the same, and 200 with the new sheet once the ETag no longer held."""
    asked = [({k.lower(): v for k, v in r.headers.items()}, r.status) for r in site.asked(PATH)]
    assert "if-none-match" not in asked[0][0] and all("if-none-match" in h for h, _ in asked[1:]), asked
    assert re.fullmatch(r"200( 304)* 200( 304)*", _statuses(s for _, s in asked)), asked
    changed = [h for h, s in asked[1:] if s == 200]
    assert changed[0]["if-none-match"] == old_etag, asked


def _check_second(api: httpx.Client, db: Path, raw: Path, url: str, run: dict, sheet: bytes) -> None:
    """After the next run: the sheet fetched again (changed) over the file, and its new figure
    loaded by that run's warehouse subflow, whose fetch summary names it changed."""
    ledger = _ledger(db, url)
    assert re.fullmatch(r"new( unchanged)* changed( unchanged)*", _statuses(r[0] for r in ledger)), ledger
    assert ("changed", 200, hashlib.sha256(sheet).hexdigest(), len(sheet), FILE) in ledger, ledger
    assert sorted(os.listdir(raw)) == ["illinois_2023.txt", FILE] and (raw / FILE).read_bytes() == sheet

    # The run's load is its subflow's (the warehouse flow's run, a child of a task run of this one).
    subflows = posted(api, "/flow_runs/filter", {"flow_runs": {"parent_flow_run_id": {"any_": [run["id"]]}}})
    assert len(subflows) == 1, subflows
    loads = query(db, "select load_id, status, facts_changed, rejections from load_runs where flow_run_id = ?",
                  [subflows[0]["id"]])
    assert len(loads) == 1 and loads[0][1:] == ("completed", 1, 0), query(db, "select * from load_runs")
    changes = query(db, "select geo, year, metric, old_value, new_value, load_id from fact_changes "
                        "where change = 'changed'")
    assert changes == [("WI", 2023, METRIC, OLD, NEW, loads[0][0])], changes
    assert query(db, "select value from facts where geo = 'WI' and metric = ?", [METRIC]) == [(NEW,)]
    assert query(db, "select count(*) from facts") == [(SEED_FACTS,)]

    summary = artifacts(api, run["id"])["ncmec-fetch-summary"]["data"]
    assert f"| {url} | changed | {FILE} |" in summary, summary


def test_a_sheet_changed_between_two_scheduled_runs_is_loaded_by_the_second(tmp_path, db_path, processes):
    home = tmp_path / "prefect-home"
    home.mkdir()
    env = environment(home)
    timings, t0 = {}, time.monotonic()
    children_before = {p.pid for p in psutil.Process().children(recursive=True)}
    raw, first, second = _raw_with_illinois(tmp_path), _sheet(OLD), _sheet(NEW)

    with SheetServer() as site:
        site.serve(PATH, first)
        url = site.url(PATH)
        sources = tmp_path / "sources.toml"
        sources.write_text(f'[[sheet]]\nurl = "{url}"\ngeo = "WI"\nyear = 2023\n', "utf-8")
        port = start_server(processes, env, tmp_path)
        api_url = f"http://127.0.0.1:{port}/api"
        with httpx.Client(base_url=api_url, timeout=10, trust_env=False) as api:
            start_serve(processes, env, api_url, tmp_path, "--fetch", "--sources", str(sources),
                        "--raw", str(raw), "--db", str(db_path))
            deployment = registered(api, processes, FLOW)
            timings["deployment registered"] = time.monotonic() - t0
            before = until("the first scheduled run COMPLETED", FIRST_RUN, lambda: _settled(api, deployment, processes),
                           processes, "server", "serve")
            timings["first run completed"] = time.monotonic() - t0
            _check_first(db_path, raw, url, first)

            old_etag = site.pages[PATH].etag
            assert site.serve(PATH, second).etag != old_etag
            seen = {r["id"] for r in before}
            run = until("the next scheduled run COMPLETED", NEXT_RUN, lambda: next(
                (r for r in completed(api, deployment, processes) if r["id"] not in seen), None),
                processes, "server", "serve")
            timings["next run completed"] = time.monotonic() - t0
            stop_serve(processes)  # first: no later run writes the warehouse while it is read
            assert run["auto_scheduled"] and run["deployment_id"] == deployment, run  # the scheduler's

            _check_requests(site, old_etag)
            _check_second(api, db_path, raw, url, run, second)

    processes.stop("server")
    timings["all stopped"] = time.monotonic() - t0
    nothing_left(processes, children_before, port)
    print(", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
