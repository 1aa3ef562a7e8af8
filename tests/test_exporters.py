"""Sheets as real PDF-to-text tools print them give the source sheet's values, file by file.

tests/exporters/ holds fact sheets rendered to PDF (pdf/) and what nine real tools printed from
them (out/: pdftotext, pdftotext -layout, pypdf plain and layout, pdfminer.six, PyMuPDF,
pymupdf4llm, markitdown, pdftohtml), plus browser saves, mojibake, ligature characters and
Unicode hyphens made from those outputs. tests/exporters/make_corpus.py made them and says how;
expected.json holds each sheet's values (from its source, never from the extractor) and, per
file, the values its tool really destroyed, with the check that must name each.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path

import pytest
from checking import validated
from conftest import corpus_doc

CORPUS = Path(__file__).parent / "exporters"
EXPECTED = json.loads((CORPUS / "expected.json").read_text("utf-8"))
FILES = sorted(EXPECTED["files"])
PDFS = sorted(p.name for p in (CORPUS / "pdf").glob("*.pdf"))
# The held-out corpora (second/, third/): what each file must still read (floor.py writes it).
FLOORS = {c: json.loads((CORPUS / c / "floor.json").read_text("utf-8")) for c in ("second", "third")}
_spec = importlib.util.spec_from_file_location("floor", CORPUS / "floor.py")
floor_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(floor_script)
# The files of each folder, which the tests read: checked together (see _checked).
FOLDERS = {CORPUS / "out": FILES, CORPUS / "pdf": PDFS,
           **{CORPUS / c / "out": [n for n in floor if not n.startswith("pdf/")] for c, floor in FLOORS.items()},
           **{CORPUS / c / "pdf": [n.removeprefix("pdf/") for n in floor if n.startswith("pdf/")]
              for c, floor in FLOORS.items()}}
TOOLS = ("pdftotext", "pdftotext_layout", "pypdf", "pypdf_layout", "pdfminer", "pymupdf", "pymupdf4llm",
         "markitdown", "pdftohtml")


def _values(doc) -> dict[tuple[str, str], tuple]:
    return {(o.geo, o.metric): (o.year, o.value, o.qualifier) for o in doc.observations}


def _expected(sheet: str) -> dict[tuple[str, str], tuple]:
    return {(o["geo"], o["metric"]): (o["year"], float(o["value"]), o["qualifier"])
            for o in EXPECTED["sheets"][sheet]["observations"]}


def _rejected(rejections) -> dict[tuple[str, str], str]:
    return {(r.geo, r.metric): r.check for r in rejections.itertuples()}


@cache
def _checked(folder: Path) -> dict[str, dict[tuple[str, str], str]]:
    """The rejections of each file of a folder, which are checked together, in one validation:
    its cost is mostly fixed (staging, pandera), and a validation a file cost the suite a minute.
    No two files of a folder have the same bytes or state a value differently (every value read
    is the sheet's), so the checks across sheets find nothing and each file's rejections are
    those it has alone (test_a_file_checked_alone_has_the_rejections_it_has_with_its_folder)."""
    rejections = validated([corpus_doc(folder / name) for name in FOLDERS[folder]], "test").rejections
    return {name: _rejected(rejections[rejections["source_file"] == name]) for name in FOLDERS[folder]}


def _read(path: Path):
    return corpus_doc(path), _checked(path.parent)[path.name]


def test_the_corpus_covers_every_tool_and_dialect():
    made = {name.split(".", 1)[1].rsplit(".", 1)[0] for name in FILES}
    assert set(TOOLS) <= made
    assert {"mojibake", "ligatures", "unicode_hyphens"} <= {m.split(".")[-1] for m in made}
    assert any(name.endswith("_browser.html") for name in FILES)
    for tool in TOOLS:  # each tool's own output of every PDF
        assert sum(name.split(".")[1:-1] == [tool] for name in FILES) == len(PDFS), tool


@pytest.mark.parametrize("name", FILES)
def test_exporter_output_gives_the_sheets_values(name):
    """Every value of the sheet is read exactly, or, where the tool destroyed it, rejected by the
    named check; nothing else is read and nothing else is rejected."""
    meta = EXPECTED["files"][name]
    sheet = EXPECTED["sheets"][meta["sheet"]]
    doc, rejected = _read(CORPUS / "out" / name)
    assert not doc.rejected, doc.rejected_reason
    assert (doc.geo, doc.year) == (sheet["geo"], sheet["year"])
    destroyed = {(d["geo"], d["metric"]): d["check"] for d in meta["destroyed"]}
    want = {k: v for k, v in _expected(meta["sheet"]).items() if k not in destroyed}
    assert _values(doc) == want
    assert rejected == destroyed


@pytest.mark.parametrize("name", FILES)
def test_evidence_is_verbatim_from_the_tools_output(name):
    doc, _ = _read(CORPUS / "out" / name)
    for o in doc.observations:
        assert doc.text[o.char_start : o.char_end] == o.evidence
        assert o.evidence.strip() == o.evidence and o.evidence


@pytest.mark.parametrize("name", PDFS)
def test_the_pdf_itself_gives_every_value(name):
    """Read from the PDF (its text layer, with the positions pypdf reports), even the figure
    with a footnote marker against it is read exactly."""
    doc, rejected = _read(CORPUS / "pdf" / name)
    assert doc.encoding == "pdf" and not rejected
    assert _values(doc) == _expected(name.removesuffix(".pdf"))


def test_no_value_is_ever_read_wrong():
    """Across the corpus, a value that is read is the sheet's value: the worst thing the
    product can do is a wrong number that looks right."""
    wrong = []
    for name in FILES:
        doc, _ = _read(CORPUS / "out" / name)
        want = _expected(EXPECTED["files"][name]["sheet"])
        wrong += [(name, k, v) for k, v in _values(doc).items() if want.get(k) != v]
    assert not wrong


def test_a_file_checked_alone_has_the_rejections_it_has_with_its_folder():
    for folder in (CORPUS / "out", CORPUS / "second" / "out"):
        name = next(n for n, rejected in _checked(folder).items() if rejected)  # one with something to show
        alone = _rejected(validated([corpus_doc(folder / name)], "test").rejections)
        assert alone == _checked(folder)[name], name


# ------------------------------------------------------------------- the held-out corpora


@pytest.mark.parametrize(("corpus", "name"), [(c, n) for c, floor in FLOORS.items() for n in sorted(floor)])
def test_held_out_corpora_never_read_a_wrong_number(corpus, name):
    """second/: sheets made with reportlab, LibreOffice and Chromium (two-column pages, notes
    numbered '1.' or '[1]', thin-space digit groups, tables split over pages). third/: groff and
    tbl, Ghostscript, PyMuPDF's HTML engine, a hand-set canvas with a watermark, an infographic,
    read by twelve more modes (make_third.py). A value is read as the sheet states it, or not at
    all; and every value read when the corpus's floor.json was written still is."""
    folder = CORPUS / corpus
    doc, rejected = _read(folder / (name if name.startswith("pdf/") else f"out/{name}"))
    want = floor_script.expected(folder, name)
    if doc.rejected:  # a whole file lost, by name: only where nothing was read when the floor was written
        assert not FLOORS[corpus][name] and doc.rejected_check and doc.rejected_reason, doc.rejected_reason
        return
    wrong = {k: v for o in doc.observations if (k := (o.geo, o.metric)) not in rejected
             and (v := (o.year, o.value, o.qualifier)) != want.get(k)}
    assert not wrong
    read = {(o.geo, o.metric) for o in doc.observations if (o.geo, o.metric) not in rejected}
    assert {tuple(k) for k in FLOORS[corpus][name]} <= read


def test_the_floor_script_reads_what_the_floor_holds():
    """floor.py, which rewrites a corpus's floor.json, still runs and reads what the test reads."""
    for corpus, floor in FLOORS.items():
        name = next(n for n in sorted(floor) if floor[n] and not n.startswith("pdf/"))
        assert {tuple(k) for k in floor[name]} <= {tuple(k) for k in floor_script.read(CORPUS / corpus, name)}
