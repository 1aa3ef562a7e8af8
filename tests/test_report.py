"""`ncmec report`: one self-contained page made for 56 places over many years. Per state metric, the
latest year ranked and the years as small multiples; the national figures; the breakdown; a section
per place with each value's evidence; the validation. Only facts are drawn; every value links to the
sentence it comes from. Read on the analyst warehouse (8 files) and at the real scale (tests/bigwarehouse.py).

What a browser shows (overflow, cut legends, empty charts) is tested in tests/test_browser.py."""

from __future__ import annotations

import html
import re
from pathlib import Path

import bigwarehouse
import pytest
from test_views import rows
from typer.testing import CliRunner

from pipelines.cli.commands import app
from pipelines.core import catalog
from pipelines.outputs import report

runner = CliRunner()
STATE = [m for m in catalog.metrics() if m.scope == "state"]
NATIONAL = [m for m in catalog.metrics() if m.scope == "national"]


def write(db: Path, out: Path) -> str:
    result = runner.invoke(app, ["report", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "charts" in result.stdout
    return out.read_text("utf-8")


@pytest.fixture(scope="module")
def page(analyst_db, tmp_path_factory) -> str:
    return write(analyst_db, tmp_path_factory.mktemp("html") / "report.html")


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("big")
    db = bigwarehouse.build(folder)
    return db, write(db, folder / "report.html")


def part(page: str, id_: str) -> str:
    """The element with this id, to the start of the next section or heading of its rank or above."""
    start = page.index(f'id="{id_}"') if f'id="{id_}"' in page else page.index(f"id={id_}>")
    rest = page[start:]
    ends = [i for i in (rest.find("<section", 1), rest.find("<h2", 1)) if i > 0]
    return rest[: min(ends)] if ends else rest


def text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def ranked(page: str, metric: str) -> list[tuple[str, str]]:
    """The (place, figure) rows of a metric's ranking, top to bottom."""
    chart = part(page, f"rank-{metric}")
    return [(html.unescape(n), html.unescape(v)) for n, v in
            re.findall(r"<li><a [^>]*><span>([^<]*)</span><span class=b>.*?</span><span class=v>([^<]*)</span>", chart)]


def test_each_state_metric_ranks_every_place_of_its_latest_year(big):
    db, page = big
    for m in STATE:
        latest = rows(db, "select max(year) as y from facts where metric = ? and geo <> 'US'", [m.metric])[0]["y"]
        expected = rows(db, "select g.name, f.value from facts f join geos g using (geo) "
                            "where f.metric = ? and f.year = ? and f.geo <> 'US'", [m.metric, latest])
        got = ranked(page, m.metric)
        assert sorted(name for name, _ in got) == sorted(r["name"] for r in expected), m.metric
        figures = [float(v.lstrip("≈≥≤").replace(",", "")) for _, v in got]
        assert figures == sorted(figures, reverse=True), m.metric  # largest first
        assert f"{m.title} in {latest}" in html.unescape(part(page, f"rank-{m.metric}"))


def test_the_years_are_small_multiples_a_card_per_place_by_name(big):
    db, page = big
    for m in STATE:
        chart = part(page, f"years-{m.metric}")
        names = [html.unescape(n) for n in re.findall(r"<b>([^<]*)</b>", chart)]
        places = {r["name"] for r in rows(db, "select distinct g.name from facts f join geos g using (geo) "
                                              "where f.metric = ? and f.geo <> 'US'", [m.metric])}
        assert set(names) == places and len(names) == len(places), m.metric
        assert names == sorted(names, key=str.casefold)  # Illinois before Iowa: by name, not by code
        assert chart.count("<svg") == len(names)
    assert len(re.findall(r'<figure class=chart id="years-', page)) == len(STATE)


def test_titles_units_and_thousands_separators_come_from_the_catalog(big):
    _, page = big
    captions = [text(c) for c in re.findall(r"<figcaption>(.*?)</figcaption>", page, re.S)]
    assert captions
    for caption in captions:
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", caption), caption  # no snake_case ids
    for m in STATE + NATIONAL:
        assert html.escape(m.title, quote=False) in page, m.metric
    assert "CyberTipline reports to law enforcement in 2024, reports:" in captions[0]
    figures = re.findall(r"<span class=v>([^<]*)</span>", page)
    assert figures and all(not re.fullmatch(r"[≈≥≤]?\d{4,}", f) for f in figures)  # 46,060, never 46060
    national = part(page, "national")
    ticks = re.findall(r'class="tick"[^>]*>([^<]*)<', national)
    assert {"20M", "30,000", "20%"} <= set(ticks)  # axis labels: millions, thousands, percentages


def test_a_rejected_value_is_never_drawn_and_is_listed(big):
    db, page = big
    geo, year, metric, figure = bigwarehouse.OVER_NATIONAL
    name = catalog.geo_name(geo)
    assert f"{figure:,}" not in page.split('<h2 id=validation>')[0]  # nowhere but the validation
    assert name not in [n for n, _ in ranked(page, metric)]
    chart = part(page, f"rank-{metric}")
    assert re.search(rf"Not drawn for {year}, its value rejected: <a href=\"#rejection-\d+\">{name}</a>", chart)
    alaska = part(page, f"place-{geo}")
    assert "class=bad>rejected</a>" in alaska
    validation = html.unescape(part(page, "validation"))
    for r in rows(db, 'select source_file, "check", reason from rejections'):
        assert r["source_file"] in validation and r["check"] in validation and r["reason"] in validation
    # The breakdown that does not add up: its four values are rejected, none drawn or tabled.
    geo, year = bigwarehouse.NOT_ADDING_UP
    nevada = part(page, f"place-{geo}")
    assert nevada.count("class=bad>rejected</a>") == 4
    # The conflict: no fact, so Ohio's card has no 2023 point (ten of eleven years; the line stops
    # at 2022, 2024 is a dot alone) and its table says rejected.
    geo, year, metric = bigwarehouse.CONFLICT
    card = re.search(r"<li><a [^>]*><b>Ohio</b>.*?</li>", part(page, f"years-{metric}")).group(0)
    assert card.count("h0") == 10 and card.count("<polyline") == 1 and f" {year} " not in card
    assert "class=bad>rejected</a>" in part(page, f"place-{geo}")


def test_a_key_stated_by_several_documents_is_drawn_once_with_its_sources(big):
    db, page = big
    geo, year = bigwarehouse.DUPLICATES
    metric = "cybertipline_reports_to_law_enforcement"
    assert [n for n, _ in ranked(page, metric)].count(catalog.geo_name(geo)) == 1
    files = [r["source_file"] for r in rows(db, "select source_file from observations where geo = ? and year = ? "
                                                "and metric = ? order by 1", [geo, year, metric])]
    assert len(files) == 3
    evidence = part(page, report.anchor(geo, year, metric))
    assert all(f in evidence for f in files)


def test_every_fact_is_on_the_page_with_its_evidence_and_every_link_leads_somewhere(analyst_db, page):
    ids = set(re.findall(r'\bid="?([^" >]+)', page))
    links = set(re.findall(r'href="#([^"]+)"', page))
    assert links and links <= ids
    facts = rows(analyst_db, "select f.geo, f.year, f.metric, f.value, f.unit, f.qualifier, o.evidence "
                             "from facts f join observations o using (source_file, geo, year, metric) "
                             "where o.value = f.value")
    assert facts
    shown = text(page)
    for f in facts:
        key = report.anchor(f["geo"], f["year"], f["metric"])
        assert key in ids and key in links, f
        assert " ".join(f["evidence"].replace("**", "").split()) in shown, f
    # The figure is marked in its sentence; an exporter's ** bold is not shown as asterisks.
    wi = part(page, report.anchor("WI", 2023, "missing_from_social_services"))
    assert "<mark>137</mark>" in wi and "**" not in wi


def test_every_rejection_of_the_analyst_warehouse_is_listed(analyst_db, page):
    rejections = rows(analyst_db, 'select source_file, "check", reason, evidence from rejections')
    assert len(rejections) == 5
    validation = html.unescape(part(page, "validation"))
    for r in rejections:
        assert r["source_file"] in validation and r["check"] in validation and r["reason"] in validation
        if r["evidence"]:
            assert report.plain(r["evidence"]) in validation  # as read: without an exporter's ** bold
    assert validation.count("<tr id=") == len(rejections) and "**" not in validation


def test_colours_never_repeat_within_a_chart(big):
    _, page = big
    legend = re.findall(r'<li><span style="background:(#[0-9a-f]{6})"></span>', part(page, "breakdown-chart"))
    assert len(legend) == 3 and len(set(legend)) == 3
    first = re.search(r"<ol class=bars>\s*<li>.*?</li>", part(page, "breakdown-chart"), re.S).group(0)
    assert len(set(re.findall(r"background:(#[0-9a-f]{6})", first))) == len(re.findall(r"<i class=mark", first))


def test_the_page_is_self_contained_and_small_at_the_real_scale(big, page):
    for markup in (page, big[1]):
        assert "http://" not in markup and "https://" not in markup
        assert "<script" not in markup and "<link" not in markup and "<iframe" not in markup
        assert not re.search(r"\bsrc\s*=", markup) and "@import" not in markup and "url(" not in markup
        ids = re.findall(r'\bid="?([^" >]+)', markup)
        assert len(ids) == len(set(ids))
    assert len(big[1].encode()) < 3_000_000  # 616 sheets: the bound (23 MB before)


def test_report_errors_are_one_line(analyst_db, tmp_path):
    result = runner.invoke(app, ["report", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "no warehouse" in result.stderr
    assert result.stderr.strip().count("\n") == 0
    result = runner.invoke(app, ["report", "--db", str(analyst_db), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "is a folder" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_new_year_with_its_first_few_sheets_is_not_ranked_alone():
    from pipelines.outputs.reportdata import Fact

    def fact(geo, year, value):
        return Fact(geo, year, "missing_other", value, "exact", "cases", "", ("f.txt",))

    facts = [fact(g, y, 10) for g in ("WI", "IL", "OH", "IA") for y in (2022, 2023)] + [fact("WI", 2024, 3)]
    assert report.ranked_year(facts) == (2023, [2024])
    facts += [fact("IL", 2024, 3)]  # two of four places: half, enough to rank
    assert report.ranked_year(facts) == (2024, [])
