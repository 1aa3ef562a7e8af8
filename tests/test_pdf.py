"""PDF intake: a sheet as PDF gives the same values as the same sheet as text, whatever the
wrapping, justification and page breaks; a PDF with no text, an encrypted or a broken one is
rejected whole with a reason.

The PDFs are made here with fpdf2 from the two seed sheets: bold markers become a bold font,
paragraphs wrap at the page width, the missing-children rows are a table.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest
from conftest import RAW, REPO, SEEDS, query
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from pipelines.extract.sheet import parse_bytes

# fpdf2's core fonts (Helvetica) are latin-1 only; matplotlib, a dependency already, ships DejaVu
# Sans, so the Unicode rendering needs no font from the machine.
_FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"

# Each rendering: page width (mm), font size (pt), alignment, and the Unicode font with curly
# apostrophes (the seeds are plain ASCII; NCMEC's own PDFs write "NCMEC’s"). Justified text is
# spaced by the word-spacing operator with Helvetica, by offsets inside the text with DejaVu.
RENDERINGS = {
    "a4_ragged": dict(width=210, size=11, align="L", unicode=False),
    "a4_justified": dict(width=210, size=11, align="J", unicode=False),
    "narrow_justified_unicode": dict(width=100, size=12, align="J", unicode=True),
    "a4_large_font": dict(width=210, size=24, align="L", unicode=False),
}


def render(sheet: str, width: float, size: float, align: str, unicode: bool) -> bytes:
    """The sheet's text as a PDF: **bold** spans in a bold font, tab-separated rows as a table."""
    pdf = FPDF(format=(width, 297))
    pdf.add_page()
    family = "Helvetica"
    if unicode:
        family = "DejaVu"
        pdf.add_font(family, "", _FONTS / "DejaVuSans.ttf")
        pdf.add_font(family, "B", _FONTS / "DejaVuSans-Bold.ttf")
        sheet = sheet.replace("'", "\u2019")
    pdf.set_font(family, size=size)
    line = size * 0.45  # mm: about 1.3 times the font size
    for para in re.split(r"\n\s*\n", sheet.strip()):
        if "\t" in para:
            with pdf.table(col_widths=(4, 1), first_row_as_headings=False, borders_layout="NONE",
                           line_height=line) as table:
                for row in para.splitlines():
                    cells = table.row()
                    for cell in row.split("\t"):
                        cells.cell(cell.strip())
        else:
            pdf.multi_cell(0, line, para.replace("\n", " "), markdown=True, align=align,
                           new_x="LMARGIN", new_y="NEXT")
        pdf.ln(line)
    return bytes(pdf.output())


def _facts(doc) -> set[tuple]:
    return {(o.geo, o.year, o.metric, o.value, o.qualifier) for o in doc.observations}


def _plain(evidence: str) -> str:
    """The evidence as a reader sees it: no bold markers, one space for any white space."""
    return " ".join(evidence.replace("**", "").replace("\u2019", "'").split())


@pytest.fixture(scope="module")
def pdfs() -> dict[tuple[str, str], bytes]:
    sheets = {name: (RAW / name).read_text("utf-8") for name in SEEDS}
    return {(name, r): render(sheets[name], **RENDERINGS[r]) for name in SEEDS for r in RENDERINGS}


@pytest.mark.parametrize("rendering", sorted(RENDERINGS))
@pytest.mark.parametrize("name", sorted(SEEDS))
def test_pdf_gives_the_text_sheets_values(pdfs, name, rendering):
    data = pdfs[name, rendering]
    pdf_name = name.replace(".txt", ".pdf")
    doc = parse_bytes(data, pdf_name)
    assert not doc.rejected, doc.rejected_reason
    assert doc.encoding == "pdf"
    text_doc = parse_bytes((RAW / name).read_bytes(), name)
    assert (doc.geo, doc.year) == (text_doc.geo, text_doc.year)
    assert _facts(doc) == _facts(text_doc) and len(doc.observations) == len(text_doc.observations)
    # The text pypdf gives is the document text: evidence is quoted from it verbatim, and it is
    # the same sentence or table row the text sheet gives, however the PDF wrapped it.
    quoted = {(o.geo, o.metric): _plain(o.evidence) for o in text_doc.observations}
    for o in doc.observations:
        assert doc.text[o.char_start : o.char_end] == o.evidence
        assert _plain(o.evidence) == quoted[o.geo, o.metric]


def test_renderings_wrap_justify_and_break_pages(pdfs):
    """The renderings stress what they claim to: sentences and table labels broken across lines,
    sheets over several pages, curly apostrophes, and no doubled spaces left by justification."""
    doc = parse_bytes(pdfs["wisconsin_2023.txt", "narrow_justified_unicode"], "wi.pdf")
    evidence = {(o.geo, o.metric): o.evidence for o in doc.observations}
    assert "\n" in evidence["WI", "missing_child_cases"]  # "... 204 cases\nof missing children ..."
    assert "\n" in evidence["WI", "missing_reported_by_hhs_orr"]  # the row's label wraps in its cell
    assert "NCMEC\u2019s" in doc.text and "  " not in doc.text
    for rendering in ("narrow_justified_unicode", "a4_large_font"):
        assert len(PdfReader(io.BytesIO(pdfs["illinois_2023.txt", rendering])).pages) >= 3


def test_the_two_seeds_as_pdf_give_31_facts(pdfs):
    facts = set()
    for name in SEEDS:
        facts |= {f[:3] for f in _facts(parse_bytes(pdfs[name, "a4_justified"], name))}
    assert len(facts) == 31


def test_the_seeds_as_pdf_load_the_same_31_facts_as_the_text(pdfs, prefect_server, tmp_path):
    """End to end: raw/ holding the seeds as PDF gives the warehouse the text sheets give."""
    from flows import warehouse_flow

    facts = {}
    for kind in ("txt", "pdf"):
        raw = tmp_path / kind / "raw"
        raw.mkdir(parents=True)
        for name in SEEDS:
            if kind == "txt":
                (raw / name).write_bytes((RAW / name).read_bytes())
            else:
                (raw / name.replace(".txt", ".pdf")).write_bytes(pdfs[name, "a4_justified"])
        db = tmp_path / kind / "ncmec.duckdb"
        warehouse_flow(raw=str(raw), db=str(db))
        facts[kind] = query(db, "select geo, year, metric, value, qualifier, unit, n_sources from facts order by all")
    assert len(facts["pdf"]) == 31 and facts["pdf"] == facts["txt"]
    assert query(db, "select distinct encoding from documents") == [("pdf",)]


def _image_only_pdf() -> bytes:
    """A "scanned" sheet: its first sentences drawn as pixels in a PNG, and a ruled box."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(6, 2))
    fig.text(0.05, 0.5, "The National Center for Missing and Exploited Children Wisconsin Data\n"
             "In 2023, 8,468 CyberTipline reports were made available to law enforcement.", fontsize=8)
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=100)
    plt.close(fig)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(png.getvalue()), x=10, y=10, w=180)
    pdf.rect(10, 100, 180, 40)
    return bytes(pdf.output())


def _encrypted(data: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_scanned_pdf_is_rejected_as_having_no_text_layer():
    doc = parse_bytes(_image_only_pdf(), "scan.pdf")
    assert doc.rejected_check == "no_text_layer"
    assert doc.rejected_reason.startswith("The file is a PDF with no text layer") and doc.rejected_reason.endswith(".")
    assert not doc.observations


def test_pdf_that_needs_a_password_is_rejected(pdfs):
    doc = parse_bytes(_encrypted(pdfs["wisconsin_2023.txt", "a4_justified"], "secret"), "locked.pdf")
    assert doc.rejected_check == "undecodable"
    assert "encrypted PDF that needs a password" in doc.rejected_reason and not doc.observations


def test_pdf_encrypted_with_only_an_owner_password_is_read(pdfs):
    """Encrypted only to restrict printing or copying, it opens without a password, as in any viewer."""
    data = pdfs["wisconsin_2023.txt", "a4_justified"]
    doc = parse_bytes(_encrypted(data, ""), "restricted.pdf")
    assert not doc.rejected, doc.rejected_reason
    assert _facts(doc) == _facts(parse_bytes(data, "wi.pdf"))


@pytest.mark.parametrize(
    "cut, words",
    [
        (lambda d: d[: len(d) // 2], "cut short"),
        (lambda d: d[:-8], "cut short"),
        (lambda d: b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n", "pypdf cannot read"),
        (lambda d: d[:400] + b"\x00" * 2000 + d[2400:], "pypdf cannot read"),
    ],
    ids=["half", "no-eof", "garbage", "zeroed-middle"],
)
def test_broken_pdf_is_rejected_never_raises(pdfs, cut, words):
    doc = parse_bytes(cut(pdfs["illinois_2023.txt", "a4_ragged"]), "broken.pdf")
    assert doc.rejected_check == "binary", doc.rejected_reason
    assert doc.rejected_reason.startswith("The file is a PDF file") and words in doc.rejected_reason
    assert not doc.observations


def test_text_sheets_never_import_pypdf():
    """Parse workers that see no PDF do not pay for loading pypdf."""
    code = ("import sys; from pipelines.extract.sheet import parse_file; from pathlib import Path; "
            f"assert not parse_file(Path({str(RAW / 'wisconsin_2023.txt')!r})).rejected; "
            "assert 'pypdf' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
