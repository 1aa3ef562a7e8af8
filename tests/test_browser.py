"""The report checked in a real browser (issue 22): headless Chromium (tests/browser.py) renders
the report of a 616-sheet warehouse (tests/bigwarehouse.py) at 1280 and 480 px, and fails on
horizontal overflow, an empty chart, or a cut legend or label (tests/reportcheck.js). Its
screenshots, the problems found at each width and the page itself are kept in
build/report-check/ (or the folder NCMEC_REPORT_CHECK_DIR names). First, small pages written here
break each rule once, so the checks are shown to catch what they are for, and a page that keeps
the report's markup contract passes.

Skipped, with the reason, where there is no Chromium."""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import browser
import psutil
import pytest
from realprocesses import still_running

REPO = Path(__file__).resolve().parents[1]
# The real page's screenshots and problems, kept after the test (build/ is not committed).
ARTIFACTS = Path(os.environ.get("NCMEC_REPORT_CHECK_DIR") or REPO / "build" / "report-check")
WIDTHS = (1280, 480)
needs_chromium = pytest.mark.skipif(browser.chromium_path() is None, reason=browser.INSTALL_HINT)

# The report's markup contract, as a page that keeps it would style it.
STYLE = """body{margin:0;padding:0 16px;max-width:1100px;font:16px/1.4 "DejaVu Sans",sans-serif}
figure{margin:16px 0}figure.chart svg{display:block;width:100%;height:auto}
ul.legend{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px}
.scroll{overflow-x:auto}p{overflow-wrap:anywhere}table{border-collapse:collapse}"""
BARS = ('<rect class="mark" x="40" y="60" width="60" height="120"/>'
        '<rect class="mark" x="160" y="100" width="60" height="80"/>'
        '<rect class="mark" x="280" y="30" width="60" height="150"/>')
LABELS = '<text x="40" y="195" font-size="12">2023</text><text x="160" y="195" font-size="12">2024</text>'


def chart(id_: str, inside: str = BARS + LABELS, legend: str = "<li>Wisconsin</li><li>Illinois</li>",
          svg: str = 'viewBox="0 0 400 200"', figure: str = "") -> str:
    ul = f'<ul class="legend">{legend}</ul>' if legend else ""
    return (f'<figure class="chart" id="{id_}" {figure}><svg {svg} role="img" aria-label="{id_} by year">{inside}</svg>'
            f"{ul}<figcaption>{id_}</figcaption></figure>")


def page(*body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><style>{STYLE}</style></head><body>'
            f"<h1>Report</h1>{''.join(body)}</body></html>")


CLEAN = page(
    chart("reports"),
    chart("trend", inside='<path class="mark" d="M20,150 L200,90 L380,40" fill="none" stroke="black"/>' + LABELS),
    '<div class="scroll"><table style="width:1800px"><tr><td>a table wider than the page, in its scroll box</td>'
    "</tr></table></div>",
    "<p>" + "an_evidence_sentence_without_any_space_" * 12 + "</p>",
)


@pytest.fixture(scope="module")
def chromium():
    if browser.chromium_path() is None:
        pytest.skip(browser.INSTALL_HINT)
    with browser.Chromium() as c:
        yield c


def check(chromium, tmp_path: Path, html: str, width: int = 480, shots: Path | None = None) -> dict:
    path = tmp_path / "page.html"
    path.write_text(html, "utf-8")
    return browser.render(path, width, chromium, shots)


def found(result: dict, check_: str) -> dict[str, list[int]]:
    """Where each problem of one check is, with by how many px."""
    out: dict[str, list[int]] = {}
    for p in result["problems"]:
        if p["check"] == check_:
            out.setdefault(p["where"], []).append(p["px"])
    return out


@pytest.mark.parametrize("width", WIDTHS)
def test_a_page_that_keeps_the_contract_has_no_problem(chromium, tmp_path, width):
    result = check(chromium, tmp_path, CLEAN, width)
    assert result["problems"] == []
    counts = result["counts"]
    assert (counts["charts"], counts["marks"], counts["legendItems"], counts["labels"]) == (2, 4, 4, 4)
    # The page is taller than the window: a scrollbar takes 15 px of it, and the page fits the rest.
    assert counts["innerWidth"] == width and counts["pageWidth"] == counts["viewport"] == width - 15


def test_a_table_wider_than_the_page_outside_a_scroll_box_is_named(chromium, tmp_path):
    wide = page(chart("reports"), '<table id="states" style="width:900px"><tr><td>too wide</td></tr></table>')
    overflow = found(check(chromium, tmp_path, wide, 480), "overflow")
    # 16 px of padding, then 900 px: 436 px past a 480 px viewport; nothing else is named.
    assert overflow == {"the page": [436], "table#states": [436]}
    assert check(chromium, tmp_path, wide, 1280)["problems"] == []


def test_content_past_the_page_is_named_by_its_element(chromium, tmp_path):
    result = check(chromium, tmp_path, page(
        '<section id="evidence"><pre>' + "a_line_of_evidence_that_never_wraps_" * 4 + "</pre></section>",
        '<div style="overflow:hidden;width:300px"><img alt="" style="width:700px;height:10px;display:block"></div>',
    ), 480)
    overflow = found(result, "overflow")
    assert 'pre "a_line_of_evidence_that_never…" in section#evidence' in overflow and "the page" in overflow
    cut = [p["message"] for p in result["problems"] if p["where"].startswith("img")]
    assert cut and "cut off by div" in cut[0]


def test_a_chart_with_nothing_drawn_is_named(chromium, tmp_path):
    result = check(chromium, tmp_path, page(
        chart("no-marks", inside='<rect x="40" y="60" width="60" height="120"/>'),
        chart("flat", svg='viewBox="0 0 400 200" style="height:0"'),
        chart("hidden-marks", inside='<rect class="mark" x="40" y="60" width="60" height="120" style="display:none"/>'
              '<rect class="mark" x="900" y="60" width="60" height="120"/>'),
        '<figure class="chart" id="no-svg"><p>Chart to come</p></figure>',
        # HTML bars (the report's rankings): boxes of class mark; of no width, nothing is drawn.
        '<figure class="chart" id="zero-bars"><div><i class="mark" style="display:block;width:0;height:9px"></i>'
        '<i class="mark" style="display:block;width:0%;height:9px"></i></div></figure>',
        '<figure class="chart" id="html-bars"><div><i class="mark" style="display:block;width:40%;height:9px"></i>'
        "</div></figure>",
        chart("fine"),
    ), 480)
    messages = {p["where"]: p["message"] for p in result["problems"]}
    assert set(messages) == {"chart #no-marks", "chart #flat", "chart #hidden-marks", "chart #no-svg",
                             "chart #zero-bars"}
    assert 'no element of class "mark"' in messages["chart #no-marks"]
    assert "×0px" in messages["chart #flat"]
    assert "none of its 2 marks" in messages["chart #hidden-marks"]
    assert "holds no svg and no element" in messages["chart #no-svg"]
    assert "none of its 2 marks shows inside its svg or figure" in messages["chart #zero-bars"]


def test_a_chart_without_an_id_is_named_by_its_label(chromium, tmp_path):
    html = page('<figure class="chart"><svg viewBox="0 0 400 200" aria-label="Reports by state"></svg></figure>')
    assert list(found(check(chromium, tmp_path, html), "empty-chart")) == ['chart "Reports by state"']


def test_a_legend_pushed_out_of_its_figure_is_named_with_its_px(chromium, tmp_path):
    items = '<li style="width:100px">Wisconsin</li><li style="width:100px">Illinois</li>'
    result = check(chromium, tmp_path, page(
        chart("pushed", legend=items, figure='style="width:300px"').replace(
            '<ul class="legend">', '<ul class="legend" style="position:relative;left:250px;gap:0">')), 1280)
    # The items span 250-350 and 350-450 px of a 300 px figure.
    assert found(result, "legend") == {"chart #pushed": [50, 150]}
    assert all("sticks out of its figure" in p["message"] and "(right)" in p["message"] for p in result["problems"])


def test_a_legend_outside_the_viewport_or_cut_by_its_list_is_named(chromium, tmp_path):
    many = "".join(f"<li>Series {i}</li>" for i in range(12))
    result = check(chromium, tmp_path, page(
        '<div class="scroll">' + chart("scrolled", figure='style="width:900px"',
                                       legend='<li style="margin-left:700px">Far right</li>') + "</div>",
        chart("cramped", legend=many).replace('<ul class="legend">',
                                              '<ul class="legend" style="overflow:hidden;height:1.4em">'),
    ), 480)
    assert "outside the viewport" in found_message(result, "legend", "chart #scrolled")
    cramped = found_message(result, "legend", "chart #cramped")
    assert "sticks out of ul.legend" in cramped and "(bottom)" in cramped
    assert found(result, "overflow") == {}  # the wide figure is in its scroll box


def test_a_label_outside_its_svg_is_named(chromium, tmp_path):
    result = check(chromium, tmp_path, page(
        chart("clipped", inside=BARS + '<text x="330" y="20" font-size="14">Team HOPE families</text>'
              '<text x="10" y="-4" font-size="12">thousands</text>'),
        chart("svg-legend", legend="", inside=BARS + '<g class="legend" transform="translate(360,10)">'
              '<rect width="8" height="8"/><text x="12" y="8" font-size="12">Illinois</text></g>'),
    ), 1280)
    labels = {p["message"] for p in result["problems"] if p["check"] == "label"}
    assert any('"Team HOPE families"' in m and "(right)" in m for m in labels)
    assert any('"thousands"' in m and "(top)" in m for m in labels)
    assert any('"Illinois"' in m for m in labels)
    assert "sticks out of its svg" in found_message(result, "legend", "chart #svg-legend")


def found_message(result: dict, check_: str, where: str) -> str:
    return " ".join(p["message"] for p in result["problems"] if p["check"] == check_ and p["where"] == where)


def test_a_page_that_cannot_load_is_one_error_and_the_browser_goes_on(chromium, tmp_path):
    with pytest.raises(browser.BrowserError, match="ERR_FILE_NOT_FOUND"):
        browser.render(tmp_path / "missing.html", 480, chromium)
    assert check(chromium, tmp_path, CLEAN, 480)["problems"] == []


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_screenshots_cover_the_page_in_slices(chromium, tmp_path):
    tall = page(chart("reports"), '<div style="height:9000px"></div>', chart("last"))
    result = check(chromium, tmp_path, tall, 480, shots=tmp_path / "shots")
    sizes = [png_size(p) for p in result["shots"]]
    assert [p.name for p in result["shots"]] == ["page-480-01.png", "page-480-02.png", "page-480-03.png"]
    assert all(w == 480 for w, _ in sizes) and sum(h for _, h in sizes) == result["counts"]["pageHeight"]


def test_a_very_long_page_is_shot_by_its_top_its_charts_and_its_problems(chromium, tmp_path):
    long = page(chart("first"), f'<div style="height:{browser.SLICE * browser.MAX_SLICES}px"></div>',
                chart("late"), '<table id="wide" style="width:700px"><tr><td>x</td></tr></table>')
    result = check(chromium, tmp_path, long, 480, shots=tmp_path / "shots")
    names = [p.name for p in result["shots"]]
    assert names[:3] == ["page-480-top.png", "page-480-chart-first.png", "page-480-chart-late.png"]
    assert any(n.startswith("page-480-problem-") for n in names)
    assert png_size(result["shots"][0]) == (480, browser.SLICE)


@needs_chromium
def test_chromium_leaves_no_process_and_no_folder(tmp_path):
    (tmp_path / "p.html").write_text(CLEAN, "utf-8")
    with pytest.raises(RuntimeError), browser.Chromium() as c:
        folder = c.folder
        browser.render(tmp_path / "p.html", 480, c)
        procs = browser.processes_of(folder)
        assert len(procs) >= 3 and c.proc.pid in {p.pid for p in procs}
        raise RuntimeError("the test fails half-way")
    assert not folder.exists()
    assert _alive(procs) == []


def _alive(procs: list[psutil.Process]) -> list[str]:
    return still_running(procs, lambda p: " ".join(p.cmdline())[:120])


@needs_chromium
def test_a_killed_harness_leaves_no_chromium_and_the_next_start_removes_its_folder(tmp_path):
    code = ("import sys, time; sys.path.insert(0, sys.argv[1]); import browser\n"
            "c = browser.Chromium(); c.start(); print(c.folder, flush=True); time.sleep(120)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(REPO / "tests")], stdout=subprocess.PIPE, text=True)
    try:
        folder = Path(proc.stdout.readline().strip())
        procs = browser.processes_of(folder)
        assert procs, "no Chromium started"
        proc.send_signal(signal.SIGKILL)  # no finally, no atexit: only the kernel's parent-death signal
        proc.wait(10)
        deadline = time.monotonic() + 20
        while _alive(procs) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _alive(procs) == []
        assert folder.exists()  # SIGKILL ran no clean-up ...
        with browser.Chromium():
            assert not folder.exists()  # ... the next start does
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def test_without_chromium_the_check_says_how_to_install_it_and_installs_nothing(tmp_path):
    env = {**os.environ, "NCMEC_CHROMIUM": str(tmp_path / "no-chromium")}
    cli = subprocess.run([sys.executable, str(REPO / "tests" / "browser.py"), str(tmp_path / "r.html")], env=env,
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 2 and cli.stderr.strip() == browser.INSTALL_HINT
    make = subprocess.run(["make", "--no-print-directory", "report-check"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60)
    assert make.returncode != 0
    assert "apt-get install chromium" in make.stderr and len(make.stderr.strip().splitlines()) == 1, make.stderr
    assert "pytest" not in make.stdout and "uv" not in make.stdout


@pytest.fixture(scope="session")
def big_report(tmp_path_factory) -> Path:
    """The report of bigwarehouse's 616 sheets (a session's: built once)."""
    import bigwarehouse

    from pipelines.outputs import report

    folder = tmp_path_factory.mktemp("big")
    out = folder / "report.html"
    report.write(bigwarehouse.build(folder), out)
    return out


@needs_chromium  # before the fixtures: the session's big_report would be written first (80 s) to no end
def test_the_report_of_616_sheets_shows_whole_at_1280_and_480_px(chromium, big_report):
    """The real page: screenshots and the problems found at each width go to ARTIFACTS."""
    for old in [*ARTIFACTS.glob("report-*.png"), *ARTIFACTS.glob("report-*-problems.txt")]:
        old.unlink()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(big_report, ARTIFACTS / "report.html")
    failures = []
    for width in WIDTHS:
        result = browser.render(big_report, width, chromium, ARTIFACTS)
        lines = [p["message"] for p in result["problems"]]
        if result["counts"]["charts"] == 0:
            lines.insert(0, 'the page has no <figure class="chart">: nothing was checked as a chart')
        said = f"# {width}px: seconds {result['seconds']}; {result['counts']}\n"
        (ARTIFACTS / f"report-{width}-problems.txt").write_text(
            said + ("".join(f"{line}\n" for line in lines) or "no problem\n"), "utf-8")
        failures += [f"{width}px: {line}" for line in lines]
    assert not failures, f"{len(failures)} problem(s), screenshots in {ARTIFACTS}:\n" + "\n".join(failures[:40])
