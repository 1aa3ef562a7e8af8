"""Issue 23: `fetch` against a real web server on 127.0.0.1 (tests/sheetserver.py). Each scenario
says what lands in the raw folder (files, bytes, no hidden temporary file), in the fetch ledger
(`fetches`) and, after a run, in the warehouse: a first fetch, an unchanged sheet (304), a changed
sheet, a redirect, a retried 500; the failures are in test_fetch_failures.py, the raw folder's
safety in test_fetch_files.py, the command line in test_fetch_cli.py."""

from __future__ import annotations

import os

import fetchkit as kit
import pytest
from conftest import RAW, query
from fetchkit import WI, entries, get, headers, ledger, sha, warehouse

from pipelines.fetch.client import Client

PATH = "/sheets/wisconsin_2023.pdf"
PDF, CHANGED = kit.wi_pdf, kit.wi_changed_pdf  # rendered once


def _seed_doc() -> tuple[str, str]:
    return ("loaded", sha((RAW / kit.IL_SEED).read_bytes()))


def _without_ids(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("fetch_id", "fetched_at")}


def test_a_first_fetch_writes_the_sheet_records_it_and_a_run_loads_it(site, raw, db_path):
    page = site.serve(PATH, PDF())
    url = site.url(PATH)
    summary = get(raw, db_path, url)
    assert entries(raw) == {**kit.seed_only(), WI: PDF()}
    (row,) = ledger(db_path)
    assert row["fetch_id"] == summary.fetch_id and row["fetched_at"] is not None
    assert _without_ids(row) == {
        "url": url, "kind": "sheet", "status": "new", "http_status": 200, "final_url": None, "source_file": WI,
        "etag": page.etag, "last_modified": page.last_modified, "sha256": sha(PDF()), "n_bytes": len(PDF()),
        "check": None, "error": None}
    (request,) = site.asked(PATH)
    sent = headers(request)
    assert "if-none-match" not in sent and "if-modified-since" not in sent
    assert sent["user-agent"].startswith("ncmec-warehouse/") and request.status == 200
    assert [r.status for r in summary.rows] == ["new"] and [r.source_file for r in summary.arrived] == [WI]
    assert warehouse(raw, db_path) == {"facts": kit.BOTH_FACTS, "wi_figure": 155,
                                       "documents": {kit.IL_SEED: _seed_doc(), WI: ("loaded", sha(PDF()))}}


def test_an_unchanged_sheet_is_asked_with_its_validators_answered_304_and_not_rewritten(site, raw, db_path):
    page = site.serve(PATH, PDF())
    url = site.url(PATH)
    get(raw, db_path, url)
    loaded = warehouse(raw, db_path)
    before = os.stat(raw / WI)
    summary = get(raw, db_path, url)
    first, second = site.asked(PATH)
    assert headers(second)["if-none-match"] == page.etag
    assert headers(second)["if-modified-since"] == page.last_modified
    assert (first.status, second.status) == (200, 304)
    after = os.stat(raw / WI)
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (before.st_ino, before.st_mtime_ns, before.st_size)
    assert entries(raw) == {**kit.seed_only(), WI: PDF()}
    new, unchanged = ledger(db_path)
    assert new["fetch_id"] != unchanged["fetch_id"] == summary.fetch_id
    assert _without_ids(unchanged) == {
        "url": url, "kind": "sheet", "status": "unchanged", "http_status": 304, "final_url": None,
        "source_file": WI, "etag": page.etag, "last_modified": page.last_modified, "sha256": sha(PDF()),
        "n_bytes": None, "check": None, "error": None}
    assert summary.arrived == [] and summary.count("unchanged") == 1
    get(raw, db_path, url)  # the 304's row keeps the validators for the next fetch
    assert headers(site.asked(PATH)[2])["if-none-match"] == page.etag and site.asked(PATH)[2].status == 304
    assert warehouse(raw, db_path) == loaded
    assert query(db_path, "select count(*) from fact_changes where change <> 'added'") == [(0,)]


def test_a_server_without_validators_sends_the_same_bytes_which_are_not_rewritten(site, raw, db_path):
    site.serve(PATH, PDF(), validators=False)
    get(raw, db_path, site.url(PATH))
    before = os.stat(raw / WI)
    get(raw, db_path, site.url(PATH))
    assert "if-none-match" not in headers(site.asked(PATH)[1]) and site.asked(PATH)[1].status == 200
    assert (os.stat(raw / WI).st_ino, os.stat(raw / WI).st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    _, second = ledger(db_path)
    assert (second["status"], second["http_status"], second["etag"], second["sha256"], second["n_bytes"]) == (
        "unchanged", 200, None, sha(PDF()), len(PDF()))


def test_a_sheet_gone_from_the_raw_folder_is_asked_again_without_validators(site, raw, db_path):
    site.serve(PATH, PDF())
    get(raw, db_path, site.url(PATH))
    (raw / WI).unlink()
    summary = get(raw, db_path, site.url(PATH))
    assert "if-none-match" not in headers(site.asked(PATH)[1]) and site.asked(PATH)[1].status == 200
    assert [r.status for r in summary.rows] == ["new"] and entries(raw) == {**kit.seed_only(), WI: PDF()}


def test_a_changed_sheet_replaces_the_file_and_the_run_records_the_change(site, raw, db_path):
    old = site.serve(PATH, PDF())
    url = site.url(PATH)
    get(raw, db_path, url)
    assert warehouse(raw, db_path)["wi_figure"] == 155
    new = site.serve(PATH, CHANGED())  # a new revision: another ETag
    assert new.etag != old.etag
    summary = get(raw, db_path, url)
    assert headers(site.asked(PATH)[1])["if-none-match"] == old.etag and site.asked(PATH)[1].status == 200
    assert entries(raw) == {**kit.seed_only(), WI: CHANGED()}
    changed = ledger(db_path)[-1]
    assert _without_ids(changed) == {
        "url": url, "kind": "sheet", "status": "changed", "http_status": 200, "final_url": None,
        "source_file": WI, "etag": new.etag, "last_modified": new.last_modified, "sha256": sha(CHANGED()),
        "n_bytes": len(CHANGED()), "check": None, "error": None}
    assert [r.source_file for r in summary.arrived] == [WI]
    assert warehouse(raw, db_path) == {"facts": kit.BOTH_FACTS, "wi_figure": 160,
                                       "documents": {kit.IL_SEED: _seed_doc(), WI: ("loaded", sha(CHANGED()))}}
    assert query(db_path, "select geo, year, metric, old_value, new_value from fact_changes where change = "
                          "'changed'") == [("WI", 2023, "cvip_submissions_reviewed", 155, 160)]


def test_a_redirect_is_followed_and_the_file_is_named_after_the_url_listed(site, raw, db_path):
    page = site.serve("/new/wisconsin_2023.pdf", PDF())
    site.redirect("/old/wi.pdf", "/new/wisconsin_2023.pdf")
    url = site.url("/old/wi.pdf")
    get(raw, db_path, url)
    assert [r.status for r in site.asked("/old/wi.pdf")] == [302]
    assert [r.status for r in site.asked("/new/wisconsin_2023.pdf")] == [200]
    assert entries(raw) == {**kit.seed_only(), "wi.pdf": PDF()}
    (row,) = ledger(db_path)
    assert _without_ids(row) == {
        "url": url, "kind": "sheet", "status": "new", "http_status": 200,
        "final_url": site.url("/new/wisconsin_2023.pdf"), "source_file": "wi.pdf", "etag": page.etag,
        "last_modified": page.last_modified, "sha256": sha(PDF()), "n_bytes": len(PDF()), "check": None,
        "error": None}
    get(raw, db_path, url)  # asked again through the redirect, with the validators: 304 where it leads
    assert headers(site.asked("/new/wisconsin_2023.pdf")[1])["if-none-match"] == page.etag
    assert ledger(db_path)[-1]["status"] == "unchanged" and site.asked("/new/wisconsin_2023.pdf")[1].status == 304
    assert warehouse(raw, db_path) == {"facts": kit.BOTH_FACTS, "wi_figure": 155,
                                       "documents": {kit.IL_SEED: _seed_doc(), "wi.pdf": ("loaded", sha(PDF()))}}


def test_a_500_is_asked_again_and_the_second_answer_kept(site, raw, db_path):
    site.serve(PATH, PDF(), fail_first=1)
    summary = get(raw, db_path, site.url(PATH))
    assert [r.status for r in site.asked(PATH)] == [500, 200]
    assert "if-none-match" not in headers(site.asked(PATH)[1])
    assert [(r.status, r.http_status, r.check) for r in summary.rows] == [("new", 200, None)]
    assert entries(raw) == {**kit.seed_only(), WI: PDF()}
    assert ledger(db_path)[0]["sha256"] == sha(PDF())
    assert warehouse(raw, db_path)["facts"] == kit.BOTH_FACTS


@pytest.mark.parametrize(("retry_after", "waited"), [("1", 1.0), ("3600", 60.0), (None, kit.POLITE.backoff)])
def test_a_503_s_retry_after_is_waited_up_to_a_minute(site, raw, db_path, retry_after, waited):
    more = {"Retry-After": retry_after} if retry_after else {}
    site.serve(PATH, PDF(), fail_first=1, fail_status=503, headers=more)
    slept: list[float] = []
    summary = get(raw, db_path, site.url(PATH), client=Client(kit.POLITE, sleep=slept.append))
    assert [r.status for r in site.asked(PATH)] == [503, 200] and summary.rows[0].status == "new"
    assert slept == [waited]


def test_a_url_listed_twice_is_asked_once(site, raw, db_path):
    site.serve(PATH, PDF())
    summary = get(raw, db_path, site.url(PATH), site.url(PATH))
    assert [r.status for r in summary.rows] == ["new"] and len(site.asked(PATH)) == 1
