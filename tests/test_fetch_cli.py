"""Issue 23: `ncmec fetch` on the command line, through the console script's entry point in this
process: a line per URL and a summary, --json, --strict, and every mistake in its sources (the
URLs, sources.toml, the folders, a busy warehouse) one line on stderr, exit 2, with nothing asked
of the server."""

from __future__ import annotations

import json

import fetchkit as kit
import pytest
from fetchkit import WI, entries, ledger

from pipelines.cli.entry import main
from pipelines.store.lock import run_lock

PATH = "/sheets/wisconsin_2023.pdf"
PDF = kit.wi_pdf
FAST = ("--delay", "0", "--retries", "0", "--timeout", "1")


@pytest.fixture
def site(site):
    """The web server (conftest.py), serving Wisconsin's sheet at PATH from the start."""
    site.serve(PATH, PDF())
    return site


@pytest.fixture
def ncmec(capsys, monkeypatch):
    """`ncmec ARGS...` in this process, COLUMNS wide: (exit code, stdout, stderr)."""

    def call(*args: str, columns: int = 200) -> tuple[int, str, str]:
        monkeypatch.setenv("COLUMNS", str(columns))
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err, err
        return code, out, err

    return call


def test_a_line_per_url_and_a_summary(site, raw, db_path, ncmec):
    url = site.url(PATH)
    code, out, err = ncmec("fetch", url, "--raw", raw, "--db", db_path, *FAST)
    fetch_id = ledger(db_path)[0]["fetch_id"]
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"new: {WI} (200, 3.7 KiB) from {url}",
        f"fetch {fetch_id}: 1 sheet URL(s) into {raw}: 1 new, 0 changed, 0 unchanged, 0 failed",
        f"`ncmec run --raw {raw}` loads the 1 new or changed sheet(s)"]
    assert entries(raw) == {**kit.seed_only(), WI: PDF()}
    code, out, err = ncmec("fetch", url, "--raw", raw, "--db", db_path, *FAST)
    assert (code, err) == (0, "")
    assert out.splitlines() == [f"unchanged: {WI} (304) from {url}",
                                f"fetch {ledger(db_path)[1]['fetch_id']}: 1 sheet URL(s) into {raw}: 0 new, "
                                "0 changed, 1 unchanged, 0 failed"]


def test_strict_exits_1_when_any_url_failed_and_0_when_none_did(site, raw, db_path, ncmec):
    gone = site.url("/gone.pdf")
    code, out, err = ncmec("fetch", gone, site.url(PATH), "--raw", raw, "--db", db_path, *FAST)
    assert (code, err) == (0, "")  # without --strict a failure is reported, not an error
    assert f"failed (not_found): {gone}: answered 404 Not Found: no document is there" in out.splitlines()
    assert "1 new, 0 changed, 0 unchanged, 1 failed" in out
    code, out, err = ncmec("fetch", gone, site.url(PATH), "--strict", "--raw", raw, "--db", db_path, *FAST)
    assert code == 1 and err == "ncmec fetch: --strict: 1 URL(s) failed\n"
    assert "0 new, 0 changed, 1 unchanged, 1 failed" in out
    code, out, err = ncmec("fetch", site.url(PATH), "--strict", "--raw", raw, "--db", db_path, *FAST)
    assert (code, err) == (0, "")


def test_json_is_one_object_with_a_row_per_url(site, raw, db_path, ncmec, tmp_path):
    site.serve("/index.html", f'<a href="{PATH}">WI</a> <a href="/gone.pdf">gone</a>'.encode(),
               content_type="text/html")
    listing = tmp_path / "sources.toml"
    listing.write_text(f'[[index]]\nurl = "{site.url("/index.html")}"\nlinks = "\\\\.pdf$"\n')
    code, out, err = ncmec("fetch", "--sources", listing, "--json", "--raw", raw, "--db", db_path, *FAST)
    assert code == 0 and out.count("\n") == 1
    shown = json.loads(out)
    rows = ledger(db_path)
    assert (shown["fetch_id"], shown["raw"], shown["db"]) == (rows[0]["fetch_id"], str(raw), str(db_path))
    assert [(r["url"], r["kind"], r["status"], r["check"], r["sha256"]) for r in shown["urls"]] == [
        (r["url"], r["kind"], r["status"], r["check"], r["sha256"]) for r in rows]
    assert [(r["kind"], r["status"], r["check"]) for r in shown["urls"]] == [
        ("index", "listed", None), ("sheet", "new", None), ("sheet", "failed", "not_found")]
    assert shown["urls"][1]["n_bytes"] == len(PDF()) and shown["urls"][1]["fetched_at"].startswith("20")
    assert err.splitlines()[:3] == [f"listed: {site.url('/index.html')}", f"new: {WI} (200, 3.7 KiB) from "
                                    f"{site.url(PATH)}", f"failed (not_found): {site.url('/gone.pdf')}: answered "
                                    "404 Not Found: no document is there"]
    assert "1 new, 0 changed, 0 unchanged, 1 failed" in err


def test_sources_toml_in_the_folder_is_read_when_no_url_is_given(site, raw, db_path, ncmec, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = ncmec("fetch", "--raw", raw, "--db", db_path, *FAST)
    assert code == 2 and err.startswith("ncmec fetch: error: no sources file at sources.toml") and out == ""
    (tmp_path / "sources.toml").write_text(f'[[sheet]]\nurl = "{site.url(PATH)}"\ngeo = "WI"\nyear = 2023\n'
                                           'file = "wi.pdf"\n')
    code, out, err = ncmec("fetch", "--raw", raw, "--db", db_path, *FAST)
    assert (code, err) == (0, "") and entries(raw) == {**kit.seed_only(), "wi.pdf": PDF()}
    code, out, err = ncmec("fetch", site.url("/il.pdf"), "--sources", tmp_path / "sources.toml", "--raw", raw,
                           "--db", db_path, *FAST)  # the URLs given, then the sources listed
    assert [r.split(":")[0] for r in out.splitlines()[:2]] == ["failed (not_found)", "unchanged"]


def test_max_pdf_size_is_the_limit_the_fetch_keeps(site, raw, db_path, ncmec):
    code, out, err = ncmec("fetch", site.url(PATH), "--max-pdf-size", "2KiB", "--raw", raw, "--db", db_path, *FAST)
    assert code == 0 and f"failed (too_large): {site.url(PATH)}: is 3.7 KiB, over the limit of 2 KiB" in out
    assert entries(raw) == kit.seed_only()


# A sources.toml whose first entry is good and whose rest is wrong ({url}: the server's sheet):
# refused whole, nothing asked.
BAD_SOURCES = {
    "not TOML": ('[[sheet]\nurl = "{url}"\n', "is not TOML: "),
    "not UTF-8": ('[[sheet]]\nurl = "{url}"\ngeo = "\xff"\n', "cannot read "),
    "an unknown table": ('[[sheets]]\nurl = "{url}"\n', "unknown table 'sheets'; sources are [[sheet]] and [[index]]"),
    "an unknown key": ('[[sheet]]\nurl = "{url}"\nname = "WI"\n',
                       "[[sheet]] 2: unknown key 'name' (known: file, geo, url, year)"),
    "no url": ('[[sheet]]\ngeo = "WI"\n', "[[sheet]] 2 has no url"),
    "an ftp URL": ('[[sheet]]\nurl = "ftp://127.0.0.1/wi.pdf"\n', "is not an http(s) URL with a host"),
    "a file URL": ('[[sheet]]\nurl = "file:///etc/passwd"\n', "is not an http(s) URL with a host"),
    "a URL with a space": ('[[sheet]]\nurl = "{url}/a b.pdf"\n', "has spaces or control characters"),
    "a number for a URL": ("[[sheet]]\nurl = 3\n", "url must be a text"),
    "a file in a folder": ('[[sheet]]\nurl = "{url}"\nfile = "../wi.pdf"\n', "must be a plain file name"),
    "a hidden file": ('[[sheet]]\nurl = "{url}"\nfile = ".wi.pdf"\n', "must be a plain file name"),
    "an unknown place": ('[[sheet]]\nurl = "{url}"\ngeo = "Atlantis"\n', "[[sheet]] 2: geo: "),
    "a year as text": ('[[sheet]]\nurl = "{url}"\nyear = "2023"\n', "year must be a whole number"),
    "a sheet that is no table": ("sheet = 3\n", "[[sheet]] 1 is not a table of keys"),
    "an index without links": ('[[index]]\nurl = "{url}"\n', "links must be a regular expression"),
    "links that are no pattern": ('[[index]]\nurl = "{url}"\nlinks = "("\n', "links '(' is not a regular expression"),
}


@pytest.mark.parametrize("case", BAD_SOURCES)
def test_a_bad_sources_toml_is_one_line_and_nothing_is_fetched(site, raw, db_path, ncmec, tmp_path, case):
    text, message = BAD_SOURCES[case]
    listing = tmp_path / "sources.toml"
    good = f'[[sheet]]\nurl = "{site.url(PATH)}"\n\n' if case != "a sheet that is no table" else ""
    listing.write_bytes((good + text.format(url=site.url(PATH))).encode("latin-1"))
    code, out, err = ncmec("fetch", "--sources", listing, "--raw", raw, "--db", db_path, *FAST)
    assert (code, out) == (2, "") and err.count("\n") == 1, err
    assert err.startswith("ncmec fetch: error: ") and message in err, err
    assert site.log == [] and entries(raw) == kit.seed_only() and not db_path.exists()


@pytest.mark.parametrize(("args", "message"), [
    (("--sources", "{tmp}/empty.toml"), "empty.toml lists no sheet: add a [[sheet]] or an [[index]]"),
    (("--sources", "{tmp}/missing.toml"), "no sources file at "),
    (("--sources", "{tmp}"), "cannot read {tmp}: Is a directory"),
    (("{url}", "notaurl"), "URL 2: notaurl is not an http(s) URL with a host"),
    (("{url}", "--raw", "{tmp}/missing"), "the raw folder {tmp}/missing does not exist"),
    (("{url}", "--db", "{tmp}/missing/ncmec.duckdb"), "the warehouse folder {tmp}/missing does not exist"),
    (("{url}", "--timeout", "0"), "Invalid value for '--timeout'"),
])
def test_a_bad_argument_is_one_line_and_nothing_is_fetched(site, raw, db_path, ncmec, tmp_path, args, message):
    (tmp_path / "empty.toml").write_text("# nothing listed yet\n")
    places = {"tmp": tmp_path, "url": site.url(PATH)}
    code, out, err = ncmec("fetch", "--raw", raw, "--db", db_path, *FAST, *(a.format(**places) for a in args))
    assert (code, out) == (2, "") and err.count("\n") == 1 and err.startswith("ncmec fetch: error: "), err
    assert message.format(**places) in err and site.log == [] and entries(raw) == kit.seed_only()


def test_a_busy_warehouse_is_one_line_and_exit_2(site, raw, db_path, ncmec):
    with run_lock(db_path):
        code, out, err = ncmec("fetch", site.url(PATH), "--raw", raw, "--db", db_path, *FAST)
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert err.startswith(f"ncmec fetch: error: {db_path} is being written by ncmec run pid ") and "--wait" in err
    assert site.log == [] and entries(raw) == kit.seed_only()


@pytest.mark.parametrize("columns", [40, 80])
def test_each_url_s_outcome_is_named_whole_in_a_narrow_terminal(site, raw, db_path, ncmec, columns):
    site.serve("/a/rather/long/path/to/the/illinois/sheet/of/2023.pdf", b"<html>moved</html>",
               content_type="text/html")
    urls = [site.url(PATH), site.url("/gone.pdf"), site.url("/a/rather/long/path/to/the/illinois/sheet/of/2023.pdf")]
    code, out, err = ncmec("fetch", *urls, "--raw", raw, "--db", db_path, *FAST, columns=columns)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:3] == [f"new: {WI} (200, 3.7 KiB) from {urls[0]}",
                         f"failed (not_found): {urls[1]}: answered 404 Not Found: no document is there",
                         f"failed (not_a_pdf): {urls[2]}: answered a web page (18 bytes), not a PDF, so nothing is "
                         "kept"]
    assert lines[3].endswith(f"into {raw}: 1 new, 0 changed, 0 unchanged, 2 failed") and "…" not in out
