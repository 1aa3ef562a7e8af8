"""The fetch-then-load flow (flows.fetch_and_load_flow, what `ncmec serve --fetch` schedules) run once
in this process against the session's Prefect server and a real web server on 127.0.0.1; and the
refusals of `ncmec serve --fetch` before anything is served."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import RAW, query
from sheetserver import SheetServer
from test_pdf import RENDERINGS, render
from typer.testing import CliRunner

from pipelines.cli.commands import app
from pipelines.orchestration import artifacts

WISCONSIN = render((RAW / "wisconsin_2023.txt").read_text("utf-8"), **RENDERINGS["a4_ragged"])


def _sources(tmp_path: Path, url: str) -> Path:
    listed = tmp_path / "sources.toml"
    listed.write_text(f'[[sheet]]\nurl = "{url}"\ngeo = "Wisconsin"\nyear = 2023\nfile = "wisconsin_2023.pdf"\n')
    return listed


def test_the_flow_fetches_then_loads_and_says_what_was_new(prefect_server, tmp_path, db_path):
    from flows import fetch_and_load_flow

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "illinois_2023.txt").write_bytes((RAW / "illinois_2023.txt").read_bytes())
    with SheetServer() as site:
        site.serve("/sheets/wi.pdf", WISCONSIN)
        listed = _sources(tmp_path, site.url("/sheets/wi.pdf"))
        fetched, loaded = fetch_and_load_flow(sources=str(listed), raw=str(raw), db=str(db_path))
        assert [(r.status, r.source_file, r.http_status) for r in fetched.rows] == [
            ("new", "wisconsin_2023.pdf", 200)]
        assert (raw / "wisconsin_2023.pdf").read_bytes() == WISCONSIN
        assert loaded.stats.files_loaded == 2 and loaded.stats.facts == 31 and loaded.stats.facts_added == 31
        line = artifacts.what_was_new(fetched, loaded.stats)
        assert line.startswith("new or changed sheets: wisconsin_2023.pdf (new) (0 unchanged); load ")
        assert line.endswith(": 31 facts added, 0 changed, 0 removed")

        # The next scheduled run: one conditional request answered 304, and a run with nothing to do.
        fetched, loaded = fetch_and_load_flow(sources=str(listed), raw=str(raw), db=str(db_path))
        assert [(r.status, r.http_status) for r in fetched.rows] == [("unchanged", 304)]
        assert site.asked("/sheets/wi.pdf")[-1].headers.get("If-None-Match") == site.pages["/sheets/wi.pdf"].etag
        assert loaded.stats.files_parsed == 0 and loaded.stats.facts_added == 0
        assert artifacts.what_was_new(fetched, loaded.stats).startswith("no new or changed sheet (1 unchanged); ")
    assert query(db_path, "select status, source_file from fetches order by fetched_at") == [
        ("new", "wisconsin_2023.pdf"), ("unchanged", "wisconsin_2023.pdf")]
    assert query(db_path, "select count(*), count(distinct geo) from facts") == [(31, 3)]


def test_the_fetch_summary_artifact_lists_each_url_with_its_outcome():
    from datetime import UTC, datetime

    from pipelines.fetch.fetching import FetchSummary
    from pipelines.store.fetches import Row
    from pipelines.store.load import LoadStats

    now = datetime.now(UTC)
    rows = [Row("f1", "https://example.org/a.pdf", "sheet", "changed", 200, None, "a.pdf", None, None, "0" * 64, 9,
                now, None, None),
            Row("f1", "https://example.org/b|c.pdf", "sheet", "failed", 404, None, "b_c.pdf", None, None, None, None,
                now, "not_found", "answered 404 Not Found: no document is there")]
    stats = LoadStats("l1", *[0] * 12, *[0.0] * 4)
    text = artifacts.fetch_markdown(FetchSummary("f1", Path("raw"), rows), stats)
    shown = text.replace("\\", "")  # as markdown shows it: every escape is of a character markdown acts on
    assert "new or changed sheets: a.pdf (changed) (0 unchanged, 1 URL(s) failed); load l1:" in shown
    assert "| https://example.org/a.pdf | changed | a.pdf |  |" in shown
    # A URL is data: its pipe cannot open a cell of its own.
    assert "| https://example.org/b\\|c.pdf | failed | b\\_c.pdf | not\\_found: answered 404 Not Found" in text


@pytest.mark.parametrize("listing, message", [
    (None, "no sources file at {path}: list sheets there"),
    ("# nothing yet\n", "{path} lists no sheet: add a [[sheet]] or an [[index]] (see the README, Fetching sheets)\n"),
    ('[[sheet]]\nurl = "file:///etc/passwd"\n', "{path}: [[sheet]] 1: file:///etc/passwd is not an http(s) URL"),
])
def test_serve_fetch_refuses_a_list_it_cannot_use_in_one_line(tmp_path, raw_dir, db_path, listing, message):
    path = tmp_path / "sources.toml"
    if listing is not None:
        path.write_text(listing)
    result = CliRunner().invoke(app, ["serve", "--fetch", "--sources", str(path), "--raw", str(raw_dir),
                                      "--db", str(db_path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert result.stderr.startswith("ncmec serve: error: " + message.format(path=path)), result.stderr
    assert not db_path.exists()
