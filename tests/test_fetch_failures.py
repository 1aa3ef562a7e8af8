"""Issue 23: a URL that gives no sheet is a `failed` row of the fetch ledger with its check and a
sentence, and nothing of it lands in the raw folder (no file, no hidden temporary file): a 404,
a refusal, a 500 that stays, a timeout, a body trickled too slowly, an answer that is no PDF, one
too large (announced, or found while reading), one cut short, redirects that lead nowhere, a
server that is not there. One failing URL never costs the others; index pages too."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import fetchkit as kit
import pytest
from fetchkit import IL, WI, entries, get, ledger, sha, warehouse
from realprocesses import free_port
from sheetserver import SheetServer

from pipelines.core.limits import DEFAULT, Limits
from pipelines.fetch.polite import Polite
from pipelines.fetch.sources import Index, Sources, from_urls

PATH = "/sheets/wisconsin_2023.pdf"
PDF = kit.wi_pdf


@dataclass(frozen=True)
class Case:
    setup: Callable[[SheetServer], object]
    check: str
    http_status: int | None
    error: str  # the error's beginning
    asked: int  # requests the sheet's path got
    polite: Polite = kit.POLITE
    limits: Limits = DEFAULT


def _loop(site: SheetServer) -> None:
    site.redirect(PATH, "/elsewhere.pdf")
    site.redirect("/elsewhere.pdf", PATH)


CASES = {
    "404": Case(lambda site: None, "not_found", 404, "answered 404 Not Found: no document is there", 1),
    "410": Case(lambda site: site.serve(PATH, PDF(), status=410), "not_found", 410, "answered 410 Gone", 1),
    "403": Case(lambda site: site.serve(PATH, PDF(), status=403), "refused", 403, "answered 403 Forbidden", 1),
    "500, asked again, 500": Case(lambda site: site.serve(PATH, PDF(), fail_first=2), "server_error", 500,
                                  "answered 500 Internal Server Error (asked 2 times)", 2),
    "no answer": Case(lambda site: site.serve(PATH, PDF(), stall=1.5), "timeout", None,
                      "did not answer within 0.5 s (asked 2 times)", 2),
    "trickled": Case(lambda site: site.serve(PATH, PDF(), trickle=0.05), "timeout", None,
                     "sent its answer too slowly: not whole within 1 s", 1,
                     Polite(timeout=0.25, retries=0, backoff=0.01, delay=0)),
    "a web page": Case(lambda site: site.serve(PATH, b"<html><p>Moved.</p></html>", content_type="text/html"),
                       "not_a_pdf", 200, "answered a web page (26 bytes), not a PDF", 1),
    "PDF type, no PDF": Case(lambda site: site.serve(PATH, b"Sorry, moved."), "not_a_pdf", 200,
                             "answered application/pdf (13 bytes), not a PDF", 1),
    "an image": Case(lambda site: site.serve(PATH, PDF(), content_type="image/png"), "not_a_pdf", 200,
                     "answered image/png (", 1),
    "too large, as announced": Case(lambda site: site.serve(PATH, PDF()), "too_large", 200,
                                    "is 3.7 KiB, over the limit of 1000 bytes", 1, limits=kit.limited(1000)),
    "too large, found reading": Case(lambda site: site.serve(PATH, PDF(), unsized=True), "too_large", 200,
                                     "sent more than the limit of 1000 bytes", 1, limits=kit.limited(1000)),
    "a length that lies large": Case(lambda site: site.serve(PATH, PDF(), length=10**9), "too_large", 200,
                                     "is 953.7 MiB, over the limit of 32 MiB", 1),
    "cut short": Case(lambda site: site.serve(PATH, PDF(), length=len(PDF()) + 1000), "unreachable", None,
                      "cannot be reached: ", 1),
    "a 304 not asked for": Case(lambda site: site.serve(PATH, PDF(), status=304), "refused", 304,
                                "answered 304 Not Modified to a request that was not conditional", 1),
    "too large, unpacked": Case(lambda site: site.serve(PATH, gzip.compress(b"%PDF-1.4" + bytes(2_000_000)),
                                                        headers={"Content-Encoding": "gzip"}), "too_large", 200,
                                "sent more than the limit of 1000 KiB", 1, limits=kit.limited(1_024_000)),
    "redirect loop": Case(_loop, "unreachable", None, "redirects more than 5 times", 3),
    "redirect to ftp": Case(lambda site: site.redirect(PATH, "ftp://127.0.0.1/wi.pdf"), "unreachable", None,
                            "redirects to what is no http(s) URL", 1),
}


@pytest.mark.parametrize("name", CASES)
def test_a_failed_url_is_a_row_with_its_check_and_nothing_in_the_raw_folder(site, raw, db_path, name):
    case = CASES[name]
    case.setup(site)
    url = site.url(PATH)
    summary = get(raw, db_path, url, polite=case.polite, limits=case.limits)
    (row,) = ledger(db_path)
    assert (row["status"], row["check"], row["http_status"]) == ("failed", case.check, case.http_status)
    assert row["error"].startswith(case.error), row["error"]
    assert (row["url"], row["kind"], row["source_file"], row["final_url"]) == (url, "sheet", WI, None)
    assert (row["etag"], row["last_modified"], row["sha256"], row["n_bytes"]) == (None, None, None, None)
    assert [(r.status, r.check) for r in summary.failed] == [("failed", case.check)] and not summary.arrived
    assert len(site.asked(PATH)) == case.asked
    assert entries(raw) == kit.seed_only()  # nothing written, no hidden temporary file either
    assert warehouse(raw, db_path) == {"facts": kit.IL_FACTS, "wi_figure": None,
                                       "documents": {kit.IL_SEED: ("loaded", sha(kit.seed_only()[kit.IL_SEED]))}}


def test_a_server_that_is_not_there_is_unreachable_and_not_asked_twice(raw, db_path):
    url = f"http://127.0.0.1:{free_port()}/wisconsin_2023.pdf"
    summary = get(raw, db_path, url)
    (row,) = summary.rows
    assert (row.status, row.check, row.http_status) == ("failed", "unreachable", None)
    assert row.error.startswith("cannot be reached: ") and entries(raw) == kit.seed_only()


def test_one_failing_url_costs_the_others_nothing(site, raw, db_path):
    site.serve(PATH, PDF())
    site.serve("/slow.pdf", PDF(), stall=1.5)
    urls = [site.url("/gone.pdf"), site.url("/slow.pdf"), site.url(PATH)]
    summary = get(raw, db_path, *urls)
    assert [(r.url, r.status, r.check) for r in summary.rows] == [
        (urls[0], "failed", "not_found"), (urls[1], "failed", "timeout"), (urls[2], "new", None)]
    assert [(r["url"], r["status"]) for r in ledger(db_path)] == [(u, r.status) for u, r in zip(urls, summary.rows,
                                                                                                   strict=True)]
    assert entries(raw) == {**kit.seed_only(), WI: PDF()}
    assert warehouse(raw, db_path)["facts"] == kit.BOTH_FACTS


def _index_page(site: SheetServer) -> bytes:
    return f"""<!doctype html><html><head><title>State fact sheets</title></head><body>
      <a href="wisconsin_2023.pdf">Wisconsin</a>
      <a href="{site.url('/files/illinois_2023.pdf')}">Illinois</a>
      <a href="/about.html">About the sheets</a> <a href="summary.docx">A summary</a>
      <a href="wisconsin_2023.pdf#page=2">Wisconsin again</a>
      <a href="mailto:sheets@example.org?subject=x.pdf">Write to us</a>
      <a href="gone_2023.pdf">A sheet that is gone</a>
    </body></html>""".encode()


def test_an_index_page_s_matching_links_are_fetched_and_it_is_listed(site, raw, db_path):
    page = site.serve("/sheets/", _index_page(site), content_type="text/html; charset=utf-8")
    site.serve(PATH, PDF())
    site.serve("/files/illinois_2023.pdf", kit.il_pdf())
    site.serve("/about.html", b"<html></html>", content_type="text/html")
    index = site.url("/sheets/")
    summary = get(raw, db_path, sources=Sources((), (Index(index, re.compile(r"\.pdf$")),)))
    rows = ledger(db_path)
    assert [(r["url"], r["kind"], r["status"], r["check"], r["source_file"]) for r in rows] == [
        (index, "index", "listed", None, None), (site.url(PATH), "sheet", "new", None, WI),
        (site.url("/files/illinois_2023.pdf"), "sheet", "new", None, IL),
        (site.url("/sheets/gone_2023.pdf"), "sheet", "failed", "not_found", "gone_2023.pdf")]
    assert (rows[0]["http_status"], rows[0]["n_bytes"], rows[0]["etag"], rows[0]["sha256"]) == (
        200, len(page.body), page.etag, None)
    assert len(site.asked(PATH)) == 1 and site.asked("/about.html") == [] and summary.count("new") == 2
    assert entries(raw) == {**kit.seed_only(), IL: kit.il_pdf(), WI: PDF()}
    state = warehouse(raw, db_path)
    assert state["facts"] == kit.BOTH_FACTS and state["wi_figure"] == 155
    assert state["documents"][WI] == ("loaded", sha(PDF())) and state["documents"][IL] == ("loaded", sha(kit.il_pdf()))


def test_an_index_page_s_links_are_read_against_where_its_redirect_led(site, raw, db_path):
    site.serve("/sheets/", b'<a href="wisconsin_2023.pdf">WI</a>', content_type="text/html")
    site.serve(PATH, PDF())
    site.redirect("/fact-sheets", "/sheets/")
    summary = get(raw, db_path, sources=Sources((), (Index(site.url("/fact-sheets"), re.compile(r"\.pdf$")),)))
    assert [(r.url, r.status, r.final_url) for r in summary.rows] == [
        (site.url("/fact-sheets"), "listed", site.url("/sheets/")), (site.url(PATH), "new", None)]


def test_an_index_link_written_with_spaces_is_asked_as_a_browser_asks_it(site, raw, db_path):
    links = b'<a href="Wisconsin 2023.pdf">WI</a> <a href="http://127.0.0.1:port/x.pdf">bad</a> <a href="il.pdf">IL</a>'
    site.serve("/sheets/", links, content_type="text/html")
    site.serve("/sheets/Wisconsin%202023.pdf", PDF())
    site.serve("/sheets/il.pdf", kit.il_pdf())
    summary = get(raw, db_path, sources=Sources((), (Index(site.url("/sheets/"), re.compile(r"\.pdf$")),)))
    assert [(r.status, r.check, r.source_file) for r in summary.rows] == [
        ("listed", None, None), ("new", None, "Wisconsin_2023.pdf"), ("failed", "unreachable", None),
        ("new", None, "il.pdf")]
    assert summary.rows[2].url == "http://127.0.0.1:port/x.pdf" and "not a URL" in summary.rows[2].error
    assert entries(raw) == {**kit.seed_only(), "Wisconsin_2023.pdf": PDF(), "il.pdf": kit.il_pdf()}


@pytest.mark.parametrize(("body", "content_type", "check"), [
    (b"%PDF-1.4 not a page", "application/pdf", "not_a_page"),
    (b"wisconsin_2023.pdf\nillinois_2023.pdf\n", "text/plain", "not_a_page"),
    (b'<html><a href="/about.html">About</a></html>', "text/html", "no_links"),
    ("".join(f'<a href="/s{n}.pdf">{n}</a>' for n in range(1001)).encode(), "text/html", "too_many_links"),
])
def test_an_index_that_lists_no_sheets_fails_and_nothing_more_is_asked(site, raw, db_path, body, content_type, check):
    site.serve("/sheets/", body, content_type=content_type)
    summary = get(raw, db_path, sources=Sources((), (Index(site.url("/sheets/"), re.compile(r"\.pdf$")),)))
    assert [(r.kind, r.status, r.check, r.http_status, r.source_file) for r in summary.rows] == [
        ("index", "failed", check, 200, None)]
    assert [r.path for r in site.log] == ["/sheets/"] and entries(raw) == kit.seed_only()
    assert [(r["status"], r["check"]) for r in ledger(db_path)] == [("failed", check)]


def test_an_index_that_is_not_found_fails_alone(site, raw, db_path):
    site.serve(PATH, PDF())
    sources = Sources(from_urls([site.url(PATH)]).sheets,
                      (Index(site.url("/gone/"), re.compile("pdf")),))
    summary = get(raw, db_path, sources=sources)
    assert [(r.kind, r.status, r.check, r.http_status) for r in summary.rows] == [
        ("sheet", "new", None, 200), ("index", "failed", "not_found", 404)]


def test_the_too_large_limit_is_the_one_given(site, raw, db_path):
    site.serve(PATH, PDF(), unsized=True)
    summary = get(raw, db_path, site.url(PATH), limits=replace(DEFAULT, pdf_bytes=len(PDF())))
    assert summary.rows[0].status == "new" and entries(raw)[WI] == PDF()
