#!/usr/bin/env python3
"""The third exporter corpus (issue 20): sheets made by producers the first two corpora lack and
read back by extractors and modes they lack, bytes kept as the tools print them. Writes beside
this script:

    pdf/<name>.pdf                 the rendering
    out/<name>.<mode>.<ext>        what each extractor printed
    out/<name>.expected.json       the values the sheet states (from tests/variants/render.py)

Producers: groff with tbl (gropdf, and PostScript through Ghostscript's ps2pdf); PyMuPDF's HTML
engine (insert_htmlbox); a reportlab canvas that draws a letter-spaced running header, a
diagonal PRELIMINARY watermark, "- 1 -" footers, a "<Place> Data <year>" header on page 2 and
each line's bold run after its plain text; a matplotlib infographic whose state figures are set
large in boxes with their caption under them, no sentence. Modes: pdftotext plain, -raw and
-bbox-layout; Ghostscript's txtwrite; PyMuPDF blocks, words, html and xhtml; pdfminer.six with
three other LAParams; pypdf's layout mode.

Needs: Debian's groff, poppler-utils and ghostscript; pymupdf, pdfminer.six, reportlab, pypdf,
matplotlib (see ../README.md). CI needs none of them: the outputs are committed.

    /tmp/exp/bin/python tests/exporters/third/make_third.py
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PDF, OUT = HERE / "pdf", HERE / "out"
sys.path[:0] = [str(HERE.parents[1] / "variants"), str(HERE.parent)]
import make_corpus as MC  # noqa: E402  its blocks() and tool runners (read only)
import render as T  # noqa: E402  the sheet template (read only)


@dataclass
class Sheet:
    geo: str
    year: int
    values: dict
    na_hhs: bool = False  # the HHS-ORR row is printed, as N/A (absent: no value)

    @property
    def place(self) -> str:
        return T.PLACES[self.geo][0]

    def text(self) -> str:
        return T.render(self.place, self.year, self.values, article=T.PLACES[self.geo][1], bold="sentence")

    def observations(self) -> list[dict]:
        return T.observations(self.geo, self.year, self.values)

    def table(self) -> list[tuple[str, str]]:
        rows = next(b.rows for b in MC.blocks(self.text()) if b.kind == "table")
        return rows + ([(T.LABEL_HHS, "N/A")] if self.na_hhs else [])


V = T.V
SHEETS = {  # name -> (sheet, producer)
    "nc_2022_groff": (Sheet("NC", 2022, V(9120, 88, 311, 240, 71, None, 14, 31, 22, 2, 96), na_hhs=True), "groff"),
    "nm_2023_gs": (Sheet("NM", 2023, V(2316, 19, 120, 96, 24, None, 5, 9, 6, 0, 41)), "ghostscript"),
    "ri_2021_html": (Sheet("RI", 2021, V(1088, 7, 39, 30, 9, None, 2, 4, 3, 1, 12)), "mupdf_html"),
    "mp_2024_canvas": (Sheet("MP", 2024, V(61, 0, 3, 2, 1, None, 0, 1, 0, 0, 4)), "canvas"),
    "nj_2022_infographic": (Sheet("NJ", 2022, V(1448, 21, 44, 31, 13, None, 3, 7, 5, 1, 21)), "infographic"),
}


def paragraphs(sheet: Sheet) -> list[MC.Block]:
    return MC.blocks(sheet.text())


def _plain(text: str) -> str:
    return text.replace("**", "")


# ------------------------------------------------------------------------------ producers


def _groff_source(sheet: Sheet) -> str:
    out = [".nr PS 10", ".nr VS 12", ".nr HM 0.8i", ".nr FM 0.8i",
           f".ds CH {sheet.place} Data {sheet.year}", ".ds CF - \\\\n% -"]
    for block in paragraphs(sheet):
        if block.kind == "title":
            out += [".TL", _plain(block.text)]
        elif block.kind == "heading":
            out += [".SH", _plain(block.text)]
        elif block.kind == "para":
            body = re.sub(r"\*\*(.+?)\*\*", r"\\fB\1\\fP", block.text.replace("\\", "\\\\"))
            out += [".PP", *[(" " + line if line.startswith((".", "'")) else line) for line in body.split("\n")]]
        else:
            out += [".TS", "box center tab(@);", "lb rb", "l r.", "Category@Count", "_",
                    *[f"{label}@{count}" for label, count in sheet.table()], ".TE"]
    return "\n".join(out) + "\n"


# Ghostscript and groff stamp the time into what they write unless SOURCE_DATE_EPOCH says otherwise.
FIXED_DATE = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}


def _groff(sheet: Sheet, device: str) -> bytes:
    return subprocess.run(["groff", "-t", "-ms", f"-T{device}"], input=_groff_source(sheet).encode("utf-8"),
                          check=True, capture_output=True, env=FIXED_DATE).stdout


def groff(sheet: Sheet) -> bytes:
    return _groff(sheet, "pdf")


def ghostscript(sheet: Sheet) -> bytes:
    return subprocess.run(["ps2pdf", "-dPDFSETTINGS=/default", "-", "-"], input=_groff(sheet, "ps"),
                          check=True, capture_output=True, env=FIXED_DATE).stdout


def mupdf_html(sheet: Sheet) -> bytes:
    import pymupdf

    parts = []
    for block in paragraphs(sheet):
        text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(block.text, quote=False), flags=re.S)
        if block.kind == "title":
            parts.append(f"<h1>{text}</h1>")
        elif block.kind == "heading":
            parts.append(f"<h3>{text}</h3>")
        elif block.kind == "para":
            parts.append(f"<p>{text}</p>")
        else:
            rows = "".join(f"<tr><td>{html.escape(a)}</td><td align='right'>{b}</td></tr>" for a, b in sheet.table())
            parts.append(f"<table border='1'><tr><th>Category</th><th>Count</th></tr>{rows}</table>")
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)  # insert_htmlbox scales the sheet down to fit the page
    page.insert_htmlbox(pymupdf.Rect(54, 54, 558, 738), "".join(parts),
                        css="* {font-family: sans-serif; font-size: 10px;} h1 {font-size: 16px;}")
    return doc.tobytes(garbage=3, deflate=True, no_new_id=True)


def canvas(sheet: Sheet) -> bytes:
    """Lines set by hand: each line's plain words first, then its bold run in the gap left for it."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas as rl_canvas

    with tempfile.NamedTemporaryFile(suffix=".pdf") as tmp:
        c = rl_canvas.Canvas(tmp.name, pagesize=letter, invariant=1)
        width, height = letter
        state = {"y": height - 90, "page": 1}

        def furniture() -> None:
            c.saveState()
            c.setFont("Helvetica", 8)
            text = c.beginText(72, height - 40)
            text.setCharSpace(3)
            text.textLine(f"NCMEC | {sheet.place.upper()} DATA {sheet.year}")
            c.drawText(text)
            if state["page"] > 1:
                c.drawString(72, height - 55, f"{sheet.place} Data {sheet.year}")
            c.drawCentredString(width / 2, 30, f"- {state['page']} -")
            c.setFillGray(0.85)
            c.setFont("Helvetica-Bold", 72)
            c.translate(width / 2, height / 2)
            c.rotate(40)
            c.drawCentredString(0, 0, "PRELIMINARY")
            c.restoreState()

        def line(runs: list[tuple[str, bool]]) -> None:
            if state["y"] < 60:
                c.showPage()
                state["page"] += 1
                state["y"] = height - 90
                furniture()
            x, later = 72.0, []
            for text, bold in runs:
                font = "Helvetica-Bold" if bold else "Helvetica"
                if bold:
                    later.append((x, text))
                else:
                    c.setFont(font, 10)
                    c.drawString(x, state["y"], text)
                x += stringWidth(text, font, 10)
            c.setFont("Helvetica-Bold", 10)
            for x0, text in later:
                c.drawString(x0, state["y"], text)
            state["y"] -= 13

        furniture()
        for block in paragraphs(sheet):
            if block.kind == "table":
                for label, count in [("Category", "Count"), *sheet.table()]:
                    line([(label, False)])
                    c.drawRightString(450, state["y"] + 13, count)
            else:
                for runs in _wrapped_runs(block.text, 95):
                    line(runs)
            state["y"] -= 6
        c.showPage()
        c.save()
        return Path(tmp.name).read_bytes()


def _wrapped_runs(text: str, width: int) -> list[list[tuple[str, bool]]]:
    """Text with **bold** spans as lines of (text, bold) runs, wrapped at `width` characters."""
    words = []
    for i, part in enumerate(re.split(r"\*\*", text)):
        words += [(w, i % 2 == 1) for w in part.split()]
    lines: list[list[tuple[str, bool]]] = [[]]
    length = 0
    for word, bold in words:
        if length + len(word) + 1 > width and lines[-1]:
            lines.append([])
            length = 0
        runs = lines[-1]
        spaced = (" " if runs else "") + word
        if runs and runs[-1][1] == bold:
            runs[-1] = (runs[-1][0] + spaced, bold)
        else:
            runs.append((spaced, bold))
        length += len(spaced)
    return lines


CAPTIONS = {  # metric -> the caption under its figure ({place} filled)
    "cybertipline_reports_to_law_enforcement": "CyberTipline reports made available to law\nenforcement in {place}",
    "cvip_submissions_reviewed": "submissions of child sexual exploitation\nmaterial reviewed from {place}",
    "missing_child_cases": "cases of missing children\nfrom {place}",
    "missing_from_social_services": T.LABEL_SS,
    "missing_other": T.LABEL_OTHER,
    "cst_social_service_engagements":
        "engagements with {place} social service\nagencies on child sex trafficking cases",
    "team_hope_families_supported": "survivors/families in {place}\nsupported by Team HOPE",
    "faon_mental_health_connections": "survivors/families in {place} connected\nto mental health services",
    "team_adam_cases_assisted": "Team Adam critical case\nassistance cases in {place}",
    "connect_new_professionals": "new law enforcement and child-serving\nprofessionals in {place} on NCMEC CONNECT",
}


def infographic(sheet: Sheet) -> bytes:
    """Page 1: the sheet's paragraphs without their state sentences. Page 2: every state figure
    set large in a box, its caption under it, and no sentence."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"pdf.fonttype": 42})
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    buffer = io.BytesIO()
    with PdfPages(buffer, metadata={"CreationDate": None, "Creator": "matplotlib"}) as pages:
        text = Figure(figsize=(8.5, 11))
        text.text(0.08, 0.95, f"{sheet.place} Data {sheet.year}", fontsize=20, weight="bold")
        y = 0.92
        for block in paragraphs(sheet)[1:]:
            if block.kind == "table":
                continue
            lines = _wrap_words(re.sub(r"\s*\*\*.+?\*\*", "", block.text, flags=re.S), 110)
            weight = "bold" if block.kind == "heading" else "normal"
            text.text(0.08, y, "\n".join(lines), fontsize=8, va="top", weight=weight)
            y -= 0.0135 * (len(lines) + 0.8)
        pages.savefig(text)
        boxes = Figure(figsize=(8.5, 11))
        boxes.text(0.08, 0.95, f"{sheet.place} Data {sheet.year}", fontsize=20, weight="bold")
        shown = [(m, v) for m, v in sheet.values.items() if v is not None and m in CAPTIONS]
        for i, (metric, value) in enumerate(shown):
            x0, y0 = 0.06 + (i % 3) * 0.31, 0.90 - (i // 3 + 1) * 0.17
            boxes.patches.append(FancyBboxPatch((x0, y0), 0.28, 0.14, boxstyle="round,pad=0.005",
                                                transform=boxes.transFigure, facecolor="#e8f0f8", edgecolor="#1f4e79"))
            boxes.text(x0 + 0.14, y0 + 0.09, f"{value:,}", fontsize=26, weight="bold", ha="center", color="#1f4e79")
            boxes.text(x0 + 0.14, y0 + 0.05, CAPTIONS[metric].format(place=sheet.place), fontsize=7.5, ha="center",
                       va="top")
        pages.savefig(boxes)
    return buffer.getvalue()


def _wrap_words(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width)


PRODUCERS = {"groff": groff, "ghostscript": ghostscript, "mupdf_html": mupdf_html, "canvas": canvas,
             "infographic": infographic}

# ------------------------------------------------------------------------------ extractors


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True).stdout.decode("utf-8", errors="replace")


def _pymupdf(pdf: Path, how: str) -> str:
    import pymupdf

    pages = list(pymupdf.open(pdf))
    if how == "blocks":  # a script's join of each block's text
        return "\n".join(b[4] for page in pages for b in page.get_text("blocks"))
    if how == "words":  # ... and of each word's, with spaces
        return " ".join(w[4] for page in pages for w in page.get_text("words"))
    return "\n".join(page.get_text(how) for page in pages)


def _pdfminer(pdf: Path, **params: object) -> str:
    from pdfminer.high_level import extract_text
    from pdfminer.layout import LAParams

    return extract_text(pdf, laparams=LAParams(**params))


def _pypdf_layout(pdf: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text(extraction_mode="layout", layout_mode_font_height_weight=0.8)
                     for page in PdfReader(pdf).pages)


MODES = {  # name -> (extension, extractor)
    "pdftotext": ("txt", lambda pdf: _run("pdftotext", "-enc", "UTF-8", str(pdf), "-")),
    "pdftotext_raw": ("txt", lambda pdf: _run("pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-")),
    "pdftotext_bbox": ("html", lambda pdf: _run("pdftotext", "-bbox-layout", "-enc", "UTF-8", str(pdf), "-")),
    "gs_txtwrite": ("txt", lambda pdf: _run("gs", "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=txtwrite",
                                           "-sOutputFile=-", str(pdf))),
    "pymupdf_blocks": ("txt", lambda pdf: _pymupdf(pdf, "blocks")),
    "pymupdf_words": ("txt", lambda pdf: _pymupdf(pdf, "words")),
    "pymupdf_html": ("html", lambda pdf: _pymupdf(pdf, "html")),
    "pymupdf_xhtml": ("html", lambda pdf: _pymupdf(pdf, "xhtml")),
    "pdfminer_char_margin": ("txt", lambda pdf: _pdfminer(pdf, char_margin=0.5)),
    "pdfminer_word_margin": ("txt", lambda pdf: _pdfminer(pdf, word_margin=0.02)),
    "pdfminer_no_boxes_flow": ("txt", lambda pdf: _pdfminer(pdf, boxes_flow=None)),
    "pypdf_layout": ("txt", _pypdf_layout),
}


def versions() -> dict[str, str]:
    from importlib.metadata import version

    tools = {"groff": _run("groff", "-v").splitlines()[0], "ghostscript": _run("gs", "--version").strip(),
             "poppler": subprocess.run(["pdftotext", "-v"], capture_output=True, text=True).stderr.splitlines()[0]}
    return tools | {p: version(p) for p in ("pymupdf", "pdfminer.six", "pypdf", "reportlab", "matplotlib")}


def main(names: list[str]) -> int:
    PDF.mkdir(exist_ok=True)
    OUT.mkdir(exist_ok=True)
    for name in names or SHEETS:
        sheet, producer = SHEETS[name]
        pdf = PDF / f"{name}.pdf"
        pdf.write_bytes(PRODUCERS[producer](sheet))
        expected = {"geo": sheet.geo, "year": sheet.year, "producer": producer, "observations": sheet.observations()}
        (OUT / f"{name}.expected.json").write_text(json.dumps(expected, indent=1) + "\n", "utf-8")
        for mode, (ext, extract) in MODES.items():
            (OUT / f"{name}.{mode}.{ext}").write_bytes(extract(pdf).encode("utf-8"))
        print(f"{name}: {producer}, {len(MODES)} modes")
    (HERE / "versions.json").write_text(json.dumps(versions(), indent=1) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
