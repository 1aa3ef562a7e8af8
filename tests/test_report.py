"""`ncmec report`: one self-contained page with a chart per state metric, the breakdown, the
national figures, and every rejection; every number traceable to its evidence."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from test_views import rows
from typer.testing import CliRunner

from pipelines.cli.commands import app
from pipelines.core import catalog

runner = CliRunner()


@pytest.fixture(scope="module")
def db(analyst_db) -> Path:
    return analyst_db


@pytest.fixture(scope="module")
def page(db, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("html") / "report.html"
    result = runner.invoke(app, ["report", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "charts" in result.stdout
    return out.read_text("utf-8")


def section(page: str, anchor: str) -> str:
    start = page.index(f'id="{anchor}"') if f'id="{anchor}"' in page else page.index(f"id={anchor}>")
    rest = page[start:]
    ends = [i for i in (rest.find("<section", 1), rest.find("<h2", 1)) if i > 0]
    return rest[: min(ends)] if ends else rest


def test_a_chart_per_state_metric(page):
    for m in catalog.metrics():
        if m.scope != "state":
            continue
        part = section(page, f"metric-{m.metric}")
        assert part.count("<svg") >= 1, m.metric
        assert f'aria-label="{m.metric} by place"' in part
    # Places with several years get a trend: Wisconsin (2021, 2023) and Illinois (2023, 2024).
    assert 'aria-label="cybertipline_reports_to_law_enforcement across years"' in page


def test_every_fact_is_shown_with_its_evidence(db, page):
    facts = rows(db, "select f.*, o.evidence from facts f join observations o "
                     "using (source_file, geo, year, metric)")
    assert facts
    text = html.unescape(page)
    for f in facts:
        assert f["evidence"] in text, (f["geo"], f["year"], f["metric"])
    # Each bar carries its evidence as a tooltip.
    tips = [html.unescape(t) for t in re.findall(r"<title>(.*?)</title>", page, re.S)]
    assert any(t.startswith("Wisconsin 2023: 8,468 (exact)") and "wisconsin_2023.txt" in t
               and "8,468 CyberTipline reports were made available to law enforcement in Wisconsin" in t for t in tips)
    assert any(t.startswith("United States 2023: ≈36,200,000 (approximate)") for t in tips)


def test_breakdown_and_national_figures(page):
    part = section(page, "breakdown")
    assert 'aria-label="missing-children breakdown"' in part
    assert "reject_breakdown_nv_2023.txt" in part and "<strong class=bad>no</strong>" in part
    # DC 2021 has no HHS-ORR row: its other two rows make the total, and the HHS-ORR cell is empty.
    dc = re.search(r'<tr><td class="">DC</td><td class="num">2021</td>(.*?)</tr>', part).group(1)
    assert '<td class="">yes</td>' in dc and '<td class="num"></td>' in dc
    national = section(page, "national")
    assert 'aria-label="national figures by year"' in national
    for m in catalog.metrics():
        if m.scope == "national":
            assert m.metric in national
    assert "≈36,200,000" in national and "≥105,000,000" in national


def test_every_rejection_is_listed(db, page):
    rejections = rows(db, 'select source_file, "check", reason, evidence from rejections')
    assert len(rejections) == 5
    validation = html.unescape(section(page, "validation"))
    for r in rejections:
        assert r["source_file"] in validation and r["check"] in validation and r["reason"] in validation
        if r["evidence"]:
            assert r["evidence"] in validation
    assert validation.count("<tr>") == len(rejections) + 1  # a header and one row each


def explained(page: str, anchor: str) -> str:
    """The text of one explanation on the page, tags removed."""
    return html.unescape(re.sub(r"<[^>]+>", "", section(page, anchor)))


def test_every_value_links_to_its_explanation_on_the_page(db, page):
    ids = set(re.findall(r'<section id="(explain-[^"]+)"', page))
    links = set(re.findall(r'href="#(explain-[^"]+)"', page))
    assert links and links <= ids  # no link leads nowhere
    for f in rows(db, "select geo, year, metric from facts"):
        assert f"explain-{f['geo']}-{f['year']}-{f['metric']}" in links, f
    # A value in an evidence table is the link, as is a national figure and a breakdown number.
    assert '<td class="num"><a href="#explain-WI-2023-cybertipline_reports_to_law_enforcement">8,468</a></td>' in page
    assert '<a href="#explain-US-2023-cybertipline_reports_received" title="' in page
    assert '<td class="num"><a href="#explain-WI-2023-missing_other">' in page


def test_an_explanation_on_the_page_is_what_ncmec_explain_prints(db, page):
    for key in (("WI", "2023", "missing_child_cases"), ("NV", "2023", "missing_other")):
        result = runner.invoke(app, ["explain", *key, "--db", str(db)])
        text = explained(page, "explain-" + "-".join(key))
        for line in result.stdout.splitlines():
            assert line.strip().replace("**", "") in text, line
    assert "<mark>204</mark>" in section(page, "explain-WI-2023-missing_child_cases")


def test_a_rejected_value_links_to_why_it_is_no_fact(page):
    validation = section(page, "validation")
    assert '<a href="#explain-NV-2023-missing_other">NV 2023 missing_other</a>' in validation
    assert "no fact: rejected" in explained(page, "explain-NV-2023-missing_other")


def test_the_page_is_self_contained(page):
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page and "<link" not in page and "<iframe" not in page
    assert not re.search(r"\bsrc\s*=", page) and "@import" not in page
    assert not re.findall(r"url\((?!#)", page)  # only references within the page (clip paths)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # the inlined figures do not clash


def test_report_errors_are_one_line(db, tmp_path):
    result = runner.invoke(app, ["report", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "no warehouse" in result.stderr
    assert result.stderr.strip().count("\n") == 0
    result = runner.invoke(app, ["report", "--db", str(db), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "is a folder" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []
