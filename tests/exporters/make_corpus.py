#!/usr/bin/env python3
"""Makes the exporter corpus: fact sheets rendered to PDF, and what real PDF-to-text tools print.

    python tests/exporters/make_corpus.py          # re-renders the PDFs and re-runs every tool
    python tests/exporters/make_corpus.py --check  # writes nothing; says which files would change

CI needs none of this: the PDFs (`pdf/`), the tools' outputs (`out/`) and the expected values
(`expected.json`) are committed. Re-making them needs the tools, which are not dependencies of
the package (see README.md beside this script):

    apt-get install poppler-utils chromium
    python -m venv /tmp/exp && /tmp/exp/bin/pip install pypdf==7.1.0 pdfminer.six pymupdf \
        pymupdf4llm 'markitdown[pdf]' fpdf2 uharfbuzz pyphen matplotlib
    /tmp/exp/bin/python tests/exporters/make_corpus.py

Expected values come from the sheets' sources (the seeds' golden files, and the variant template
`tests/variants/render.py`), never from the extractor. Where a tool destroys a value, the
expected rejection is written by hand in `DESTROYED` below, with what the tool printed.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "variants"))

import render as template  # noqa: E402  (tests/variants/render.py: the sheet template)

PDF_DIR, OUT_DIR = HERE / "pdf", HERE / "out"

# ------------------------------------------------------------------------------------ sources


@dataclass
class Source:
    """A sheet's text as the template writes it (**bold**, tab-separated table rows) and the
    values it states."""

    text: str
    geo: str
    year: int
    observations: list[dict]


def _seed(name: str) -> Source:
    golden = json.loads((REPO / "tests" / "golden" / f"{name}.json").read_text("utf-8"))
    obs = [{"geo": o["geo"], "year": golden["year"], "metric": o["metric"], "value": o["value"],
            "qualifier": o["qualifier"]} for o in golden["observations"]]
    return Source((REPO / "raw" / f"{name}.txt").read_text("utf-8"), golden["geo"], golden["year"], obs)


def _made_args(geo: str, year: int, values: dict, **style) -> tuple[str, str, int, list[dict]]:
    place = template.PLACES[geo][0]
    return template.render(place, year, values, **style), geo, year, template.observations(geo, year, values)


def _made(geo: str, year: int, values: dict) -> Source:
    return Source(*_made_args(geo, year, values))


V = template.V
SOURCES = {
    "wi_2023": _seed("wisconsin_2023"),
    "il_2023": _seed("illinois_2023"),
    "nh_2022": _made("NH", 2022, V(1873, 64, 187, 121, 61, 5, 11, 23, 17, 2, 58)),
    "vi_2023": _made("VI", 2023, V(164, 3, 12, 4, 8, None, 1, 1, 2, 1, 9)),
    "wa_2024": _made("WA", 2024, V(7611, 133, 884, 702, 182, None, 35, 97, 74, 3, 205)),
    # A row stated as 0 is 0.
    "vt_2023": _made("VT", 2023, V(655, 12, 44, 31, 13, 0, 3, 7, 5, 1, 21)),
    "dc_2021": _made("DC", 2021, V(1140, 12, 301, 266, 35, None, 10, 15, 11, 2, 33)),
    "ca_2023": Source(*_made_args("CA", 2023, V(150000, 1412, 3987, 3102, 701, 184, 412, 488, 391, 11, 1243),
                                  ss_facility=True)),
    # One of everything: "1 CyberTipline report was", "1 case of missing children", one table row.
    "as_2022": _made("AS", 2022, V(1, None, 1, None, 1, None, None, 1, None, None, 1)),
}

# ---------------------------------------------------------------------------------- renderings


@dataclass
class Layout:
    """How a sheet is set as a PDF."""

    width: float = 210.0  # mm
    height: float = 297.0
    size: float = 10.5  # pt
    unicode: bool = True  # DejaVu Sans with curly apostrophes and shaped ligatures; else Helvetica
    align: str = "J"
    hyphenate: bool = True  # soft hyphens from pyphen: justified lines end in "exploi-"
    table: str = "rows"  # "rows": each label then its number; "columns": every label, then every number
    label_width: float = 0.75  # share of the text width for the table's label column
    # (text before, text after): a page break between them, mid-sentence
    page_breaks: tuple[tuple[str, str], ...] = ()
    break_after_row: int | None = None  # a page break inside the missing-children table
    # (text the marker follows, footnote text): superscript markers 1, 2, ... and notes at the end
    footnotes: tuple[tuple[str, str], ...] = ()
    # the font's ligature glyphs map to U+FB00-FB04 in the text layer (as typesetting programs do)
    ligature_chars: bool = False
    borders: bool = False  # the table ruled as a grid, which markdown converters print as a pipe table


NOTE_REPORTS = "CyberTipline reports are counted when they are made, whatever year the incident happened."
NOTE_OTHER = "Other cases include family abductions, lost, injured or otherwise missing children."
NOTE_CVIP = "A running total since the program began in 2002."
NOTE_SUBMISSIONS = "Submissions are counted once, however many files they hold."
NOTE_PLACE = "Figures are for the reporting agencies' location, not the child's."

LAYOUTS = {
    # A4, justified and hyphenated, page breaks mid-sentence and inside the table, footnotes on
    # a word, a table label and a grouped number.
    "report": Layout(
        page_breaks=(("were made available to", "law enforcement in"),),
        break_after_row=1,
        footnotes=(("million reports", NOTE_REPORTS), ("Other Missing Children Cases", NOTE_OTHER),
                   ("identification of {cvip_us}", NOTE_CVIP)),
    ),
    # US Letter in Helvetica, ragged right, the table's columns drawn one after the other (as
    # some layout programs write them), a footnote on a small number.
    "columns": Layout(
        width=215.9, height=279.4, size=11, unicode=False, align="L", hyphenate=False, table="columns",
        label_width=0.7, page_breaks=(("with peer support,", "including"),),
        footnotes=(("NCMEC reviewed {cvip}", NOTE_SUBMISSIONS),),
    ),
    # A narrow page: short justified lines, table labels that wrap inside their cell, a footnote
    # after a sentence, ligatures whose text is U+FB01 and the like.
    "narrow": Layout(
        width=120, height=200, size=11, label_width=0.62, ligature_chars=True,
        page_breaks=(("NCMEC handled", "{mc} cases"),),
        footnotes=(("law enforcement in {place}.", NOTE_PLACE),),
    ),
}

LAYOUTS["boxed"] = Layout(
    size=10, align="J", hyphenate=False, table="rows", label_width=0.6, borders=True,
    page_breaks=(("NCMEC connected", "{faon} survivors"),),
    footnotes=(("Children Missing From Social Services Facility", NOTE_OTHER),),
)
LAYOUTS["singles"] = Layout(
    width=215.9, height=279.4, size=12, unicode=False, align="L", hyphenate=False, table="columns",
    label_width=0.7, page_breaks=(("NCMEC handled", "1 case"),),
)

SHEETS = {  # corpus name -> (source, layout)
    "wi_2023_report": ("wi_2023", "report"),
    "il_2023_columns": ("il_2023", "columns"),
    "nh_2022_narrow": ("nh_2022", "narrow"),
    "vi_2023_report": ("vi_2023", "report"),
    "wa_2024_columns": ("wa_2024", "columns"),
    "vt_2023_narrow": ("vt_2023", "narrow"),
    "dc_2021_report": ("dc_2021", "report"),
    "ca_2023_boxed": ("ca_2023", "boxed"),
    "as_2022_singles": ("as_2022", "singles"),
}


def _fill(text: str, source: Source) -> str:
    """Anchors name a sheet's own figures: {place}, {cvip}, {mc}, {cvip_us}."""
    values = {(o["geo"], o["metric"]): o["value"] for o in source.observations}
    return text.format(
        place=template.PLACES[source.geo][0],
        cvip=f"{values.get((source.geo, 'cvip_submissions_reviewed'), 0):,}",
        mc=f"{values.get((source.geo, 'missing_child_cases'), 0):,}",
        faon=f"{values.get((source.geo, 'faon_mental_health_connections'), 0):,}",
        cvip_us=re.search(r"identification of (?:[a-z ]+ )?([\d,]+)", source.text).group(1),
    )


@dataclass
class Block:
    kind: str  # title, heading, para, table
    text: str = ""
    rows: list[tuple[str, str]] = field(default_factory=list)


def blocks(text: str) -> list[Block]:
    """The template's text as blocks; the seeds' "running / behavior" page-break gap is a space
    here, since the renderer makes its own page breaks."""
    text = re.sub(r"running\n\s*\nbehavior", "running behavior", text.strip())
    out = []
    for para in re.split(r"\n\s*\n", text):
        para = para.strip()
        if "\t" in para:
            out.append(Block("table", rows=[tuple(c.strip() for c in row.split("\t")) for row in para.splitlines()]))
        elif not out:
            out.append(Block("title", para))
        elif not re.sub(r"(\*\*|\^\d)+$", "", para).endswith((".", ":")):
            out.append(Block("heading", para))
        else:
            out.append(Block("para", para))
    return out


def _fonts() -> Path:
    import matplotlib  # ships DejaVu Sans, so no font is needed from the machine

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _hyphenated(text: str) -> str:
    """Soft hyphens where en_US hyphenation allows, in words of letters only: the PDF shows
    "exploi-" at a line end, and the tools print a hyphen there."""
    import pyphen

    dic = pyphen.Pyphen(lang="en_US")
    return re.sub(r"(?<![\w/])[A-Za-z]{7,}(?![\w/])", lambda m: dic.inserted(m.group(), hyphen="\u00ad"), text)


def _markup(text: str, layout: Layout) -> str:
    """Template text to fpdf2's HTML: **bold** to <b>, ^N to <sup>N</sup>."""
    if layout.unicode:
        text = text.replace("'", "\u2019")
    if layout.ligature_chars:
        text = ligature_chars(text)
    out = html.escape(text, quote=False)
    if layout.hyphenate:
        out = _hyphenated(out)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out, flags=re.S)
    return re.sub(r"\^(\d)", r"<sup>\1</sup>", out)


def render_pdf(source: Source, layout: Layout) -> bytes:
    from fpdf import FPDF

    place = template.PLACES[source.geo][0]
    family = "DejaVu" if layout.unicode else "Helvetica"
    dot = "\u00b7" if layout.unicode else "|"

    class Sheet(FPDF):
        def header(self) -> None:
            self.set_font(family, size=7.5)
            self.cell(0, 4, f"National Center for Missing & Exploited Children {dot} {place} Data", align="R",
                      new_x="LMARGIN", new_y="NEXT")
            self.ln(3)

        def footer(self) -> None:
            self.set_y(-17)
            self.set_font(family, size=6.5 if self.w < 150 else 7)
            self.multi_cell(0, 3, f"333 John Carlyle Street, Suite 125, Alexandria, Virginia 22314-5950 {dot} "
                            f"1-800-843-5678 {dot} MissingKids.org\nCopyright \u00a9 {source.year + 1} National Center "
                            f"for Missing & Exploited Children. All rights reserved. Revised 03/{source.year + 1}. "
                            f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = Sheet(format=(layout.width, layout.height))
    pdf.set_creation_date(datetime(source.year + 1, 3, 1, tzinfo=UTC))  # the same bytes every time
    pdf.set_margins(15, 12, 15)
    pdf.set_auto_page_break(True, margin=20)
    if layout.unicode:
        pdf.add_font("DejaVu", "", _fonts() / "DejaVuSans.ttf")
        pdf.add_font("DejaVu", "B", _fonts() / "DejaVuSans-Bold.ttf")
        pdf.set_text_shaping(True)  # real ligature glyphs (fi, fl) from the font's GSUB table
    pdf.add_page()
    line = layout.size * 0.5

    notes = []
    text = source.text
    for anchor, note in layout.footnotes:
        anchor = _fill(anchor, source)
        assert text.count(anchor) == 1, anchor
        notes.append(note)
        text = text.replace(anchor, f"{anchor}^{len(notes)}")
    breaks = [(_fill(a, source), _fill(b, source)) for a, b in layout.page_breaks]

    for block in blocks(text):
        if block.kind == "title":
            pdf.set_font(family, "B", layout.size + 5)
            pdf.multi_cell(0, line * 1.4, block.text.replace("**", ""), align="L", new_x="LMARGIN",
                           new_y="NEXT")
            pdf.ln(line)
        elif block.kind == "heading":
            pdf.set_font(family, "B", layout.size + 1.5)
            pdf.multi_cell(0, line * 1.2, block.text.replace("'", "\u2019" if layout.unicode else "'"), align="L",
                           new_x="LMARGIN", new_y="NEXT")
            pdf.ln(line * 0.4)
        elif block.kind == "table":
            _table(pdf, block.rows, layout, family, line)
        else:
            _paragraph(pdf, block.text, breaks, layout, family, line)
    if notes:
        pdf.ln(line)
        pdf.set_font(family, size=8)
        for i, note in enumerate(notes, 1):
            pdf.write_html(f"<p><sup>{i}</sup> {html.escape(note)}</p>")
    return bytes(pdf.output())


def _paragraph(pdf, text: str, breaks, layout: Layout, family: str, line: float) -> None:
    chunks = [text]
    for before, after in breaks:
        joint = f"{before} {after}"
        if joint in chunks[-1]:
            head, tail = chunks[-1].split(joint, 1)
            head, tail = head + before, after + tail
            if head.count("**") % 2:  # a bold span crosses the page break
                head, tail = head + "**", "**" + tail
            chunks[-1:] = [head, tail]
    pdf.set_font(family, size=layout.size)
    align = {"J": "justify", "L": "left"}[layout.align]
    for i, chunk in enumerate(chunks):
        if i:
            pdf.add_page()
        pdf.write_html(f'<p align="{align}" line-height="1.25">{_markup(chunk, layout)}</p>')


def _table(pdf, rows, layout: Layout, family: str, line: float) -> None:
    """The missing-children rows: label cells and right-aligned number cells. Drawn row by row,
    or (layout.table == "columns") every label first and then every number, on one page."""
    width = pdf.w - pdf.l_margin - pdf.r_margin
    label_w, num_w = width * layout.label_width, width * 0.15
    x_label, x_num = pdf.l_margin, pdf.l_margin + label_w + width * 0.05
    # top-aligned number cells, or (narrow labels) bottom-aligned ones
    bottom = layout.label_width < 0.7
    pdf.set_font(family, size=layout.size)
    cells = []  # (label lines, footnote marker, number)
    for label, number in rows:
        marker = None
        if m := re.search(r"\^(\d)$", label):
            label, marker = label[: m.start()], m.group(1)
        cells.append((pdf.multi_cell(label_w, line, label, dry_run=True, output="LINES"), marker, number))
    gap = 0 if layout.borders else line * 0.35

    def label_cell(y, lines, marker):
        pdf.set_font(family, size=layout.size)
        if layout.borders:
            pdf.rect(x_label - 1, y, label_w + 1, len(lines) * line)
        for k, text in enumerate(lines):
            pdf.set_xy(x_label, y + k * line)
            pdf.cell(label_w, line, ligature_chars(text) if layout.ligature_chars else text)
        if marker:
            pdf.set_xy(x_label + pdf.get_string_width(lines[-1]) + 0.3, y + (len(lines) - 1) * line)
            pdf.char_vpos = "SUP"
            pdf.cell(4, line, marker)
            pdf.char_vpos = "LINE"

    def number_cell(y, lines, number):
        pdf.set_font(family, size=layout.size)
        if layout.borders:
            pdf.rect(x_label + label_w, y, x_num + num_w - x_label - label_w + 1, len(lines) * line)
        pdf.set_xy(x_num, y + (len(lines) - 1 if bottom else 0) * line)
        pdf.cell(num_w, line, number, align="R")

    if layout.table == "rows":
        for i, (lines, marker, number) in enumerate(cells):
            if i == layout.break_after_row or pdf.will_page_break(len(lines) * line):
                pdf.add_page()
            y = pdf.get_y()
            label_cell(y, lines, marker)
            number_cell(y, lines, number)
            pdf.set_y(y + len(lines) * line + gap)
    else:
        if pdf.will_page_break(sum(len(c[0]) * line + gap for c in cells)):
            pdf.add_page()
        ys, y = [], pdf.get_y()
        for lines, _, _ in cells:
            ys.append(y)
            y += len(lines) * line + gap
        for y0, (lines, marker, _) in zip(ys, cells, strict=True):
            label_cell(y0, lines, marker)
        for y0, (lines, _, number) in zip(ys, cells, strict=True):
            number_cell(y0, lines, number)
        pdf.set_y(y)
    pdf.set_x(pdf.l_margin)
    pdf.ln(line * 0.6)

# --------------------------------------------------------------------------------------- tools


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True).stdout.decode("utf-8")


def _pypdf(pdf: Path, mode: str) -> str:
    from pypdf import PdfReader

    # What a user's script writes: each page's text, a line break between pages.
    return "\n".join(page.extract_text(extraction_mode=mode) for page in PdfReader(pdf).pages)


def _pdfminer(pdf: Path) -> str:
    from pdfminer.high_level import extract_text

    return extract_text(pdf)


def _pymupdf(pdf: Path) -> str:
    import pymupdf

    # PyMuPDF's own recipe: each page's text, then a form feed.
    return "".join(page.get_text() + "\f" for page in pymupdf.open(pdf))


def _pymupdf4llm(pdf: Path) -> str:
    import pymupdf4llm

    return pymupdf4llm.to_markdown(str(pdf))


def _markitdown(pdf: Path) -> str:
    from markitdown import MarkItDown

    return MarkItDown().convert(str(pdf)).text_content


# name -> (file extension, tool); each reads the PDF and returns what the tool prints
TOOLS = {
    "pdftotext": ("txt", lambda pdf: _run("pdftotext", "-enc", "UTF-8", str(pdf), "-")),
    "pdftotext_layout": ("txt", lambda pdf: _run("pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-")),
    "pypdf": ("txt", lambda pdf: _pypdf(pdf, "plain")),
    "pypdf_layout": ("txt", lambda pdf: _pypdf(pdf, "layout")),
    "pdfminer": ("txt", _pdfminer),
    "pymupdf": ("txt", _pymupdf),
    "pymupdf4llm": ("md", _pymupdf4llm),
    "markitdown": ("md", _markitdown),
    "pdftohtml": ("html", lambda pdf: _run("pdftohtml", "-s", "-i", "-noframes", "-stdout", "-enc", "UTF-8", str(pdf))),
}


def tool_versions() -> dict[str, str]:
    from importlib.metadata import version

    poppler = subprocess.run(["pdftotext", "-v"], capture_output=True, text=True).stderr.split("\n")[0]
    return {
        "poppler": poppler,
        **{p: version(p) for p in ("pypdf", "pdfminer.six", "pymupdf", "pymupdf4llm", "markitdown", "fpdf2")},
    }

# ---------------------------------------------------------------- hand-made from real outputs

BROWSER = ("chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync")


def web_page(source: Source) -> str:
    """The sheet as a web page of NCMEC's site might set it: navigation, headings, <strong>,
    a <table>, entities, curly quotes, a script and a footer with the address."""
    place = template.PLACES[source.geo][0]
    body = []
    for block in blocks(source.text):
        if block.kind == "table":
            rows = "".join(f"<tr><td>{html.escape(a)}</td><td class=\"n\">{b}</td></tr>\n" for a, b in block.rows)
            body.append(f'<table class="breakdown">\n<tbody>\n{rows}</tbody>\n</table>')
            continue
        text = html.escape(block.text.replace("**", "\x00"), quote=False).replace("'", "&rsquo;")
        text = re.sub("\x00(.*?)\x00", r"<strong>\1</strong>", text, flags=re.S)
        text = text.replace("&amp;", "&amp;").replace(" - ", " &ndash; ")
        tag = {"title": "h1", "heading": "h2"}.get(block.kind, "p")
        body.append(f"<{tag}>{text}</{tag}>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{place} Data | National Center for Missing &amp; Exploited Children</title>"
        "<style>td.n{text-align:right}</style>"
        "<script>window.dataLayer=window.dataLayer||[];dataLayer.push({'page':'state-data','year':2024});</script>"
        "</head>\n<body>\n<header><nav><a href=\"/\">Home</a> &rsaquo; <a href=\"/ourwork\">Our Work</a> &rsaquo; "
        "<a href=\"/ourwork/impact\">Impact</a></nav></header>\n<main>\n" + "\n".join(body) + "\n</main>\n"
        "<footer><p>333 John Carlyle Street, Suite&nbsp;125, Alexandria, Virginia 22314-5950</p>"
        f"<p>&copy; {source.year + 1} National Center for Missing &amp; Exploited Children. All rights reserved.</p>"
        "</footer>\n</body></html>\n"
    )


def browser_save(page: str) -> str:
    """What Chromium writes for "Save as: Webpage, HTML only": the document as parsed, serialised."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sheet.html"
        path.write_text(page, "utf-8")
        return _run(*BROWSER, f"--user-data-dir={tmp}/profile", "--dump-dom", path.as_uri())


def mojibake(text: str) -> str:
    """UTF-8 text opened as Windows-1252 and saved again as UTF-8 ("NCMEC’s" -> "NCMECâ€™s"). Bytes
    cp1252 leaves undefined come through as the C1 control of the same number, as Windows does."""
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in text.encode("utf-8"))


LIGATURES = {"ffi": "\ufb03", "ffl": "\ufb04", "ff": "\ufb00", "fi": "\ufb01", "fl": "\ufb02"}


def ligature_chars(text: str) -> str:
    """Text whose PDF mapped its ligature glyphs to the Unicode presentation forms (U+FB00-FB04),
    as many PDFs made by typesetting programs do."""
    return re.sub("|".join(LIGATURES), lambda m: LIGATURES[m.group()], text)


def unicode_hyphens(text: str) -> str:
    """Hyphens as typesetting programs write them: U+2010 inside words, U+2011 (non-breaking) in
    "HHS-ORR", a soft hyphen (U+00AD) where a word was broken at a line end."""
    text = re.sub(r"(?<=[A-Za-z])-\n(?=[a-z])", "\u00ad\n", text)
    text = text.replace("HHS-ORR", "HHS\u2011ORR")
    return re.sub(r"(?<=[A-Za-z])-(?=[A-Za-z])", "\u2010", text)


# name -> (made from, how)
HANDMADE = {
    "wi_2023_browser.html": ("wi_2023", lambda: browser_save(web_page(SOURCES["wi_2023"]))),
    "dc_2021_browser.html": ("dc_2021", lambda: browser_save(web_page(SOURCES["dc_2021"]))),
    "wi_2023_report.pdftotext.mojibake.txt": ("wi_2023_report.pdftotext.txt", mojibake),
    "nh_2022_narrow.pymupdf4llm.mojibake.md": ("nh_2022_narrow.pymupdf4llm.md", mojibake),
    "vi_2023_report.pymupdf.ligatures.txt": ("vi_2023_report.pymupdf.txt", ligature_chars),
    "vt_2023_narrow.pypdf.unicode_hyphens.txt": ("vt_2023_narrow.pypdf.txt", unicode_hyphens),
}


# ------------------------------------------------------------------------------------ expected

# Values an exporter really destroyed, found by reading what it printed: (file, geo, metric) ->
# (the check that must reject it, what the tool printed there). Everything else in a file must be
# read exactly as the source states it. `build` checks that each file still prints the excerpt.
DESTROYED: dict[tuple[str, str, str], tuple[str, str]] = {}

# The "columns" layout sets footnote 1 as a small raised "1" against a small figure: "77¹" on
# the Illinois sheet, "133¹" on the Washington one. Text tools print the marker as one more
# digit, "771" and "1331", and nothing in the text tells the figure from its marker. The notes
# say marker 1 exists and it marks nothing else, so each figure that could hide it is rejected
# (footnote_ambiguous): the marked one, and on the Illinois sheet 151, which ends in 1 too.
# pymupdf4llm prints "77<sup>1</sup>", which is read exactly. pypdf's layout mode moves the
# words after the marker to the line above ("1 submissions of child sexual" / "... reviewed 77"),
# so the CVIP sentence is broken: value_unreadable.
for _tool in ("pdftotext", "pdftotext_layout", "pypdf", "pypdf_layout", "pdfminer", "pymupdf", "markitdown",
              "pdftohtml"):
    _ext = TOOLS[_tool][0]
    _moved = _tool == "pypdf_layout"
    DESTROYED[f"il_2023_columns.{_tool}.{_ext}", "IL", "cvip_submissions_reviewed"] = (
        ("value_unreadable", "NCMEC reviewed 77\n") if _moved else ("footnote_ambiguous", "reviewed 771"))
    DESTROYED[f"il_2023_columns.{_tool}.{_ext}", "IL", "team_hope_families_supported"] = (
        "footnote_ambiguous", "including 151")
    DESTROYED[f"wa_2024_columns.{_tool}.{_ext}", "WA", "cvip_submissions_reviewed"] = (
        ("value_unreadable", "NCMEC reviewed 133\n") if _moved else ("footnote_ambiguous", "reviewed 1331"))


def _check_destroyed(files: dict[Path, bytes]) -> None:
    """Each destroyed value's excerpt is in what its tool printed (white space aside)."""
    for (file, _, _), (_, printed) in DESTROYED.items():
        text = html.unescape(files[OUT_DIR / file].decode("utf-8")).replace("\u00a0", " ")
        flat = re.sub(r"[ \t]+", " ", re.sub(r"<[^>]+>", "", text))
        assert printed in flat, (file, printed)


def expected(files: list[str]) -> dict:
    sheets = {}
    for name, (source_name, layout) in SHEETS.items():
        source = SOURCES[source_name]
        sheets[name] = {"source": source_name, "layout": layout, "geo": source.geo, "year": source.year,
                        "observations": source.observations}
    for name, (made_from, _) in HANDMADE.items():
        if made_from in SOURCES:  # a web page of the source itself
            source = SOURCES[made_from]
            sheets[name.split(".")[0]] = {"source": made_from, "layout": "web page", "geo": source.geo,
                                          "year": source.year, "observations": source.observations}
    out = {}
    for file in files:
        sheet = file.split(".")[0]
        destroyed = [{"geo": geo, "metric": metric, "check": check, "printed": printed}
                     for (f, geo, metric), (check, printed) in DESTROYED.items() if f == file]
        out[file] = {"sheet": sheet, "destroyed": destroyed}
    return {"tools": tool_versions(), "sheets": sheets, "files": out}


def build() -> dict[Path, bytes]:
    """Every file of the corpus: path -> bytes."""
    files: dict[Path, bytes] = {}
    # A fixed folder: pdftohtml writes the PDF's path into its output.
    tmp = Path(tempfile.gettempdir()) / "ncmec-exporter-corpus"
    tmp.mkdir(exist_ok=True)
    for name, (source, layout) in SHEETS.items():
        pdf = tmp / f"{name}.pdf"
        pdf.write_bytes(render_pdf(SOURCES[source], LAYOUTS[layout]))
        files[PDF_DIR / pdf.name] = pdf.read_bytes()
        for tool, (ext, run) in TOOLS.items():
            files[OUT_DIR / f"{name}.{tool}.{ext}"] = run(pdf).encode("utf-8")
    for name, (made_from, make) in HANDMADE.items():
        if made_from in SOURCES:
            text = make()
        else:
            text = make(files[OUT_DIR / made_from].decode("utf-8"))
        files[OUT_DIR / name] = text.encode("utf-8")
    _check_destroyed(files)
    names = sorted(p.name for p in files if p.parent == OUT_DIR)
    files[HERE / "expected.json"] = (json.dumps(expected(names), indent=1, ensure_ascii=False) + "\n").encode()
    return files


def main(argv: list[str]) -> int:
    files = build()
    if "--check" in argv:
        stale = [p for p, data in files.items() if not p.exists() or p.read_bytes() != data]
        for p in stale:
            print(f"would change: {p.relative_to(REPO)}")
        return 1 if stale else 0
    for p, data in files.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    print(f"wrote {len(files)} files under {HERE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
