#!/usr/bin/env python3
"""The second exporter corpus: fact sheets rendered as PDF in ways make_corpus.py does not
(reportlab platypus, LibreOffice from .fodt and HTML, Chromium's print), then run through the
same nine PDF-to-text tools. It was made as a held-out test (by a second engineer, without
looking at the extractor) and found the causes of 43 wrong numbers, now fixed. Writes beside
this script:

    pdf/<name>.pdf                 the rendering
    out/<name>.<tool>.<ext>        what each tool printed
    out/<name>.expected.json       the values the sheet states (template / golden files)
    src/                           the intermediate .fodt / .html files

Needs, beyond make_corpus.py's tools: reportlab, Debian's libreoffice-writer-nogui and
fonts-dejavu. Chromium's print puts the date in its page header, so re-making changes that.

    /tmp/exp/bin/python tests/exporters/second/make_second.py [name ...]
"""
from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PDF, OUT, SRC = HERE / "pdf", HERE / "out", HERE / "src"
sys.path.insert(0, str(HERE.parents[1] / "variants"))
sys.path.insert(0, str(HERE.parent))
import render as T  # noqa: E402  the sheet template (read only)
import make_corpus as MC  # noqa: E402  for its TOOLS, blocks() and seed sources (read only)

from reportlab.lib import colors  # noqa: E402
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT  # noqa: E402
from reportlab.lib.pagesizes import A4, letter  # noqa: E402
from reportlab.lib.styles import ParagraphStyle  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.ttfonts import TTFont  # noqa: E402
from reportlab.platypus import (BaseDocTemplate, Frame, LongTable, PageBreak, PageTemplate,  # noqa: E402
                                Paragraph, Spacer, Table, TableStyle)

FONTS = Path("/usr/share/fonts/truetype/dejavu")
pdfmetrics.registerFont(TTFont("DejaVu", str(FONTS / "DejaVuSans.ttf")))
pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(FONTS / "DejaVuSans-Bold.ttf")))
pdfmetrics.registerFont(TTFont("DejaVuSerif", str(FONTS / "DejaVuSerif.ttf")))
pdfmetrics.registerFont(TTFont("DejaVuSerif-Bold", str(FONTS / "DejaVuSerif-Bold.ttf")))
from reportlab.lib.fonts import addMapping  # noqa: E402

for fam in ("DejaVu", "DejaVuSerif"):
    addMapping(fam, 0, 0, fam)
    addMapping(fam, 1, 0, fam + "-Bold")
    addMapping(fam, 0, 1, fam)
    addMapping(fam, 1, 1, fam + "-Bold")

V = T.V


@dataclass
class Source:
    text: str
    geo: str
    year: int
    observations: list


def made(geo, year, values, **style) -> Source:
    place = T.PLACES[geo][0] if geo in T.PLACES else {"MA": "Massachusetts"}[geo]
    return Source(T.render(place, year, values, **style), geo, year, T.observations(geo, year, values))


def seed(name) -> Source:
    s = MC.SOURCES[name]
    return Source(s.text, s.geo, s.year, s.observations)


# ------------------------------------------------------------------------------ reportlab

@dataclass
class RL:
    page: tuple = letter
    font: str = "Helvetica"  # or DejaVu / DejaVuSerif (curly quotes kept)
    size: float = 10
    align: int = TA_JUSTIFY
    columns: int = 1
    header: str | None = None  # running header on every page ({place} filled)
    header_first: bool = True  # also on page 1
    page_number: str | None = "center"  # center | dash | None
    draw_furniture_first: bool = True  # onPage (start of page) vs onPageEnd
    caps_headings: bool = False
    smallcaps_title: bool = False
    # footnotes: (anchor text, note) -> marker after anchor; notes at the bottom of `notes_page`
    footnotes: tuple = ()
    note_style: str = "sup"  # sup: "¹ text" | dot: "1. text" | bracket: "[1] text"
    notes_page: int = 1
    # table
    t_header: bool = False  # "Type of case | Cases"
    t_grid: bool = True
    t_num_align: str = "RIGHT"
    t_label_bold: bool = False
    t_valign: str = "TOP"
    t_widths: tuple = (0.75, 0.15)
    t_numbers_first: bool = False
    t_total: bool = False
    t_long_split: bool = False  # LongTable split over a page break (header row repeated)
    t_position: str = "after"  # after | before (table before its sentence) | next_page
    page_breaks: tuple = ()  # (before, after) inside a paragraph
    transform: object = None  # text -> text before layout (thin spaces etc.)
    hyphenate: bool = False


def _esc(s: str) -> str:
    return html.escape(s, quote=False)


def _markup(text: str) -> str:
    out = _esc(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out, flags=re.S)
    return re.sub(r"\^(\d)", r"<super>\1</super>", out)


def _smallcaps(text: str, size: float) -> str:
    words = []
    for w in text.split(" "):
        if w[:1].isalpha():
            words.append(_esc(w[0].upper()) + f'<font size="{size * 0.72:.1f}">{_esc(w[1:].upper())}</font>')
        else:
            words.append(_esc(w))
    return " ".join(words)


def render_rl(source: Source, rl: RL, spacer_before_table: float = 0) -> bytes:
    place = T.PLACES.get(source.geo, ("Massachusetts", ""))[0]
    text = source.text
    if rl.transform:
        text = rl.transform(text)
    notes = []
    for anchor, note in rl.footnotes:
        assert text.count(anchor) == 1, anchor
        notes.append(note)
        text = text.replace(anchor, f"{anchor}^{len(notes)}")
    bold = rl.font + "-Bold" if rl.font != "Helvetica" else "Helvetica-Bold"
    body = ParagraphStyle("body", fontName=rl.font, fontSize=rl.size, leading=rl.size * 1.3, alignment=rl.align,
                          spaceAfter=rl.size * 0.6,
                          **({"hyphenationLang": "en_US", "embeddedHyphenation": 1} if rl.hyphenate else {}))
    head = ParagraphStyle("head", parent=body, fontName=bold, fontSize=rl.size + 1.5, leading=(rl.size + 1.5) * 1.25,
                          alignment=TA_LEFT, spaceBefore=rl.size * 0.4, spaceAfter=rl.size * 0.4)
    title = ParagraphStyle("title", parent=head, fontSize=rl.size + 6, leading=(rl.size + 6) * 1.2, spaceAfter=rl.size)
    cell = ParagraphStyle("cell", parent=body, alignment=TA_LEFT, spaceAfter=0)
    num_cell = ParagraphStyle("num", parent=cell, alignment={"LEFT": TA_LEFT, "CENTER": TA_CENTER, "RIGHT": 2}[rl.t_num_align])
    note_st = ParagraphStyle("note", parent=body, fontSize=rl.size * 0.72, leading=rl.size * 0.9, alignment=TA_LEFT)
    furn = ParagraphStyle("furn", parent=body, fontSize=rl.size * 0.75, alignment=TA_CENTER)

    W, H = rl.page
    lm = rm = 20 * mm
    tm = 22 * mm
    bm = (22 + 6 * len(notes)) * mm if notes else 22 * mm
    width = W - lm - rm

    story = []
    blocks = MC.blocks(text)
    # the announcing sentence is the paragraph right before the table block
    if rl.t_position == "before":
        i = next(k for k, b in enumerate(blocks) if b.kind == "table")
        blocks[i - 1], blocks[i] = blocks[i], blocks[i - 1]
    for b in blocks:
        if b.kind == "title":
            if rl.smallcaps_title:
                story.append(Paragraph(_smallcaps(b.text.replace("**", ""), rl.size + 6), title))
            else:
                story.append(Paragraph(_markup(b.text), title))
        elif b.kind == "heading":
            t = b.text.replace("'", "\u2019") if rl.font != "Helvetica" else b.text
            story.append(Paragraph(_markup(t.upper() if rl.caps_headings else t), head))
        elif b.kind == "table":
            if rl.t_position == "next_page":
                story.append(PageBreak())
            if spacer_before_table:
                story.append(Spacer(1, spacer_before_table))
            story.append(_rl_table(b.rows, rl, width, cell, num_cell, bold))
            story.append(Spacer(1, rl.size * 0.8))
        else:
            t = b.text.replace("'", "\u2019") if rl.font != "Helvetica" else b.text
            chunks = [t]
            for before, after in rl.page_breaks:
                joint = f"{before} {after}"
                if joint in chunks[-1]:
                    h, tl = chunks[-1].split(joint, 1)
                    h, tl = h + before, after + tl
                    if h.count("**") % 2:
                        h, tl = h + "**", "**" + tl
                    chunks[-1:] = [h, tl]
            for k, c in enumerate(chunks):
                if k:
                    story.append(PageBreak())
                st = body if k == len(chunks) - 1 else ParagraphStyle("b2", parent=body, alignment=TA_LEFT, spaceAfter=0)
                story.append(Paragraph(_markup(c), st))

    def furniture(canvas, doc):
        canvas.saveState()
        n = canvas.getPageNumber()
        if rl.header and (n > 1 or rl.header_first):
            canvas.setFont(rl.font, rl.size * 0.75)
            canvas.drawCentredString(W / 2, H - 12 * mm, rl.header.format(place=place, year=source.year))
        if rl.page_number:
            canvas.setFont(rl.font, rl.size * 0.85)
            label = {"center": f"{n}", "dash": f"\u2013 {n} \u2013"}[rl.page_number]
            canvas.drawCentredString(W / 2, 10 * mm, label)
        if notes and n == rl.notes_page:
            y = 16 * mm
            for i, note in reversed(list(enumerate(notes, 1))):
                mark = {"sup": f"<super>{i}</super> ", "dot": f"{i}. ", "bracket": f"[{i}] "}[rl.note_style]
                p = Paragraph(mark + _esc(note.replace("'", "\u2019") if rl.font != "Helvetica" else note), note_st)
                _, h = p.wrap(width, 100)
                p.drawOn(canvas, lm, y)
                y += h + 1.5
            canvas.setLineWidth(0.5)
            canvas.line(lm, y + 1, lm + 50 * mm, y + 1)
        canvas.restoreState()

    buf = tempfile.SpooledTemporaryFile()
    doc = BaseDocTemplate(buf, pagesize=rl.page, leftMargin=lm, rightMargin=rm, topMargin=tm, bottomMargin=bm,
                          title=f"{place} Data", author="NCMEC", creator="holdout", invariant=1)
    if rl.columns == 2:
        gap = 8 * mm
        cw = (width - gap) / 2
        frames = [Frame(lm, bm, cw, H - tm - bm, id="c1", leftPadding=0, rightPadding=0),
                  Frame(lm + cw + gap, bm, cw, H - tm - bm, id="c2", leftPadding=0, rightPadding=0)]
    else:
        frames = [Frame(lm, bm, width, H - tm - bm, id="f", leftPadding=0, rightPadding=0)]
    kw = {"onPage": furniture} if rl.draw_furniture_first else {"onPageEnd": furniture}
    doc.addPageTemplates([PageTemplate(id="p", frames=frames, **kw)])
    doc._frame_width = frames[0].width
    doc.build(story)
    buf.seek(0)
    return buf.read()


def _rl_table(rows, rl: RL, width, cell, num_cell, bold):
    if rl.columns == 2:
        width = (width - 8 * mm) / 2
    lab_style = ParagraphStyle("lab", parent=cell, fontName=bold) if rl.t_label_bold else cell
    data = []
    for label, number in rows:
        lp = Paragraph(_markup(label), lab_style)
        np_ = Paragraph(_markup(number), num_cell)
        data.append([np_, lp] if rl.t_numbers_first else [lp, np_])
    if rl.t_total:
        total = sum(int(n.split("^")[0].replace(",", "").replace("\u2009", "")) for _, n in rows)
        tl, tn = Paragraph(f"<b>Total</b>", cell), Paragraph(f"<b>{total:,}</b>", num_cell)
        data.append([tn, tl] if rl.t_numbers_first else [tl, tn])
    if rl.t_header:
        h = [Paragraph("<b>Type of case</b>", cell), Paragraph("<b>Cases</b>", num_cell)]
        data.insert(0, h[::-1] if rl.t_numbers_first else h)
    widths = [width * w for w in rl.t_widths]
    if rl.t_numbers_first:
        widths = widths[::-1]
    cls = LongTable if rl.t_long_split else Table
    t = cls(data, colWidths=widths, repeatRows=1 if rl.t_header else 0, hAlign="LEFT")
    style = [("VALIGN", (0, 0), (-1, -1), rl.t_valign)]
    if rl.t_grid:
        style += [("GRID", (0, 0), (-1, -1), 0.5, colors.black)]
    if rl.t_header:
        style += [("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey)]
    t.setStyle(TableStyle(style))
    return t


def rl_split_table(source: Source, rl: RL) -> bytes:
    """A LongTable that splits after its first or second body row: a spacer before it, grown
    until page 1 holds some but not all of the rows."""
    from io import BytesIO

    from pypdf import PdfReader
    labels = [r[0].split("^")[0] for b in MC.blocks(source.text) if b.kind == "table" for r in b.rows]
    for h in range(0, 700, 4):
        data = render_rl(source, rl, spacer_before_table=h)
        pages = [p.extract_text() for p in PdfReader(BytesIO(data)).pages]
        table_pages = [[k for k, p in enumerate(pages) if lab.split(" ")[-1] in " ".join(p.split())
                        and lab[:20] in " ".join(p.split())] for lab in labels]
        firsts = [tp[0] if tp else None for tp in table_pages]
        if None not in firsts and len(set(firsts)) > 1:
            print(f"  split table at spacer {h}: rows on pages {firsts}")
            return data
    raise RuntimeError("no split found")


# ------------------------------------------------------------------------------ LibreOffice (.fodt)

FODT_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
           'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"')


def fodt(source: Source, footnotes=(), header="", columns=1) -> str:
    place = T.PLACES[source.geo][0]
    text = source.text.replace("'", "\u2019")
    notes = {}
    for anchor, note in footnotes:
        anchor = anchor.replace("'", "\u2019")
        assert text.count(anchor) == 1, anchor
        notes[len(notes) + 1] = note
        text = text.replace(anchor, f"{anchor}^{len(notes)}")

    def inline(s: str) -> str:
        out = _esc(s)
        out = re.sub(r"\*\*(.+?)\*\*", r'<text:span text:style-name="B">\1</text:span>', out, flags=re.S)
        return re.sub(r"\^(\d)", lambda m: (
            f'<text:note text:id="ftn{m.group(1)}" text:note-class="footnote"><text:note-citation>{m.group(1)}'
            f'</text:note-citation><text:note-body><text:p text:style-name="Footnote">{_esc(notes[int(m.group(1))])}'
            '</text:p></text:note-body></text:note>'), out)

    body = []
    for b in MC.blocks(text):
        if b.kind == "title":
            body.append(f'<text:h text:style-name="Title1" text:outline-level="1">{inline(b.text)}</text:h>')
        elif b.kind == "heading":
            body.append(f'<text:h text:style-name="H2" text:outline-level="2">{inline(b.text)}</text:h>')
        elif b.kind == "table":
            rows = "".join(
                '<table:table-row><table:table-cell table:style-name="Cell" office:value-type="string">'
                f'<text:p text:style-name="Lab">{inline(a)}</text:p></table:table-cell>'
                '<table:table-cell table:style-name="Cell" office:value-type="string">'
                f'<text:p text:style-name="Num">{inline(n)}</text:p></table:table-cell></table:table-row>'
                for a, n in b.rows)
            body.append(
                '<table:table table:name="Breakdown" table:style-name="Tbl">'
                '<table:table-column table:style-name="ColA"/><table:table-column table:style-name="ColB"/>'
                '<table:table-header-rows><table:table-row>'
                '<table:table-cell table:style-name="Cell" office:value-type="string"><text:p text:style-name="Lab">'
                '<text:span text:style-name="B">Type of case</text:span></text:p></table:table-cell>'
                '<table:table-cell table:style-name="Cell" office:value-type="string"><text:p text:style-name="Num">'
                '<text:span text:style-name="B">Cases</text:span></text:p></table:table-cell>'
                f'</table:table-row></table:table-header-rows>{rows}</table:table>')
        else:
            body.append(f'<text:p text:style-name="Body">{inline(b.text)}</text:p>')
    cols = (f'<style:columns fo:column-count="{columns}" fo:column-gap="0.6cm"/>' if columns > 1 else "")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document {FODT_NS} office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.text">
<office:font-face-decls><style:font-face style:name="Liberation Serif" svg:font-family="'Liberation Serif'"/>
<style:font-face style:name="Liberation Sans" svg:font-family="'Liberation Sans'"/></office:font-face-decls>
<office:styles>
<style:default-style style:family="paragraph"><style:text-properties style:font-name="Liberation Serif" fo:font-size="11pt" fo:language="en" fo:country="US"/></style:default-style>
<style:style style:name="Standard" style:family="paragraph"/>
<style:style style:name="Body" style:family="paragraph"><style:paragraph-properties fo:text-align="justify" fo:margin-bottom="0.22cm"/></style:style>
<style:style style:name="Title1" style:family="paragraph"><style:paragraph-properties fo:margin-bottom="0.4cm"/><style:text-properties style:font-name="Liberation Sans" fo:font-size="17pt" fo:font-weight="bold"/></style:style>
<style:style style:name="H2" style:family="paragraph"><style:paragraph-properties fo:margin-top="0.3cm" fo:margin-bottom="0.15cm"/><style:text-properties style:font-name="Liberation Sans" fo:font-size="12.5pt" fo:font-weight="bold" fo:font-variant="small-caps"/></style:style>
<style:style style:name="Lab" style:family="paragraph"><style:text-properties fo:font-size="10.5pt"/></style:style>
<style:style style:name="Num" style:family="paragraph"><style:paragraph-properties fo:text-align="center"/><style:text-properties fo:font-size="10.5pt"/></style:style>
<style:style style:name="Footnote" style:family="paragraph"><style:text-properties fo:font-size="8.5pt"/></style:style>
<style:style style:name="Hdr" style:family="paragraph"><style:paragraph-properties fo:text-align="end"/><style:text-properties fo:font-size="8pt" fo:font-style="italic"/></style:style>
<style:style style:name="Ftr" style:family="paragraph"><style:paragraph-properties fo:text-align="center"/><style:text-properties fo:font-size="9pt"/></style:style>
</office:styles>
<office:automatic-styles>
<style:style style:name="B" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>
<style:style style:name="Tbl" style:family="table"><style:table-properties style:width="14cm" table:align="left"/></style:style>
<style:style style:name="ColA" style:family="table-column"><style:table-column-properties style:column-width="10.5cm"/></style:style>
<style:style style:name="ColB" style:family="table-column"><style:table-column-properties style:column-width="3.5cm"/></style:style>
<style:style style:name="Cell" style:family="table-cell"><style:table-cell-properties fo:padding="0.08cm" fo:border="0.5pt solid #000000"/></style:style>
<style:page-layout style:name="pm1"><style:page-layout-properties fo:page-width="21.59cm" fo:page-height="27.94cm" fo:margin-top="1.4cm" fo:margin-bottom="1.2cm" fo:margin-left="2.2cm" fo:margin-right="2.2cm">{cols}</style:page-layout-properties>
<style:header-style><style:header-footer-properties fo:min-height="0.6cm" fo:margin-bottom="0.3cm"/></style:header-style>
<style:footer-style><style:header-footer-properties fo:min-height="0.6cm" fo:margin-top="0.3cm"/></style:footer-style></style:page-layout>
</office:automatic-styles>
<office:master-styles><style:master-page style:name="Standard" style:page-layout-name="pm1">
<style:header><text:p text:style-name="Hdr">{_esc(header.format(place=place, year=source.year))}</text:p></style:header>
<style:footer><text:p text:style-name="Ftr"><text:page-number text:select-page="current">1</text:page-number></text:p></style:footer>
</style:master-page></office:master-styles>
<office:body><office:text>
{chr(10).join(body)}
</office:text></office:body></office:document>
"""


def soffice(src: Path) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to", "pdf",
                        "--outdir", tmp, str(src)], check=True, capture_output=True, timeout=180)
        return (Path(tmp) / (src.stem + ".pdf")).read_bytes()


# ------------------------------------------------------------------------------ HTML pages

def html_page(source: Source, css: str, footnotes=()) -> str:
    place = T.PLACES[source.geo][0]
    text = source.text
    notes = []
    for anchor, note in footnotes:
        assert text.count(anchor) == 1, anchor
        notes.append(note)
        text = text.replace(anchor, f"{anchor}^{len(notes)}")
    body = []
    for b in MC.blocks(text):
        if b.kind == "table":
            rows = "".join(f"<tr><td>{_markup(a).replace('super>', 'sup>')}</td><td class=n>"
                           f"{_markup(n).replace('super>', 'sup>')}</td></tr>\n" for a, n in b.rows)
            body.append('<table class="breakdown"><thead><tr><th>Type of case</th><th class=n>Cases</th></tr>'
                        f"</thead><tbody>\n{rows}</tbody></table>")
            continue
        t = _esc(b.text.replace("**", "\x00")).replace("'", "\u2019")
        t = re.sub("\x00(.*?)\x00", r"<strong>\1</strong>", t, flags=re.S)
        t = re.sub(r"\^(\d)", r"<sup>\1</sup>", t)
        tag = {"title": "h1", "heading": "h2"}.get(b.kind, "p")
        body.append(f"<{tag}>{t}</{tag}>")
    foot = "".join(f"<li>{_esc(n)}</li>" for n in notes)
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{place} Data \u2013 NCMEC</title>"
            f"<style>{css}</style></head><body><main>\n" + "\n".join(body) +
            (f"\n<ol class=notes>{foot}</ol>" if notes else "") + "\n</main></body></html>\n")


def chromium_print(page: str, name: str) -> bytes:
    src = SRC / f"{name}.html"
    src.write_text(page, "utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "o.pdf"
        subprocess.run([*MC.BROWSER, f"--user-data-dir={tmp}/profile", f"--print-to-pdf={out}", src.as_uri()],
                       check=True, capture_output=True, timeout=120)
        return out.read_bytes()


# ------------------------------------------------------------------------------ the sheets

def thin_groups(text: str) -> str:
    """Thousands grouped by a thin space (U+2009), as some style guides set figures."""
    return re.sub(r"(?<=\d),(?=\d{3}\b)", "\u2009", text)


NOTE_SUB = "Submissions are counted once, however many files they hold."
NOTE_ENG = "An engagement is a case-level consultation with an agency."
NOTE_OTHER = "Other cases include family abductions, lost, injured or otherwise missing children."
NOTE_PLACE = "Figures are for the reporting agencies\u2019 location, not the child\u2019s."
NOTE_HOPE = "Peer support by trained volunteers of Team HOPE."
NOTE_RPT = "CyberTipline reports are counted when they are made, whatever year the incident happened."

SHEETS = {}


def sheet(name, source, how, covers):
    SHEETS[name] = (source, how, covers)


sheet("nm_2023_rl_notes_dot", made("NM", 2023, V(2387, 41, 298, 231, 61, 6, 12, 25, 19, 2, 64)),
      lambda s: render_rl(s, RL(footnotes=(("NCMEC reviewed 41", NOTE_SUB), ("NCMEC had 12", NOTE_ENG),
                                           ("Other Missing Children Cases", NOTE_OTHER)),
                                note_style="dot", notes_page=1, page_number="center")),
      "reportlab justified Helvetica; superscript markers on small state figures (41, 12) and a table label; "
      "notes at page 1 bottom numbered '1.', '2.'; page number alone bottom centre")
sheet("wi_2023_rl_twocol", seed("wi_2023"),
      lambda s: render_rl(s, RL(columns=2, header="The National Center for Missing and Exploited Children \u00b7 {place} Data",
                                t_header=True, t_widths=(0.72, 0.28), size=9.5)),
      "reportlab two-column prose; running header repeating the title; table with header row and grid inside a column")
sheet("dc_2024_rl_longtable", made("DC", 2024, V(1602, 21, 351, 309, 38, 4, 15, 22, 18, 1, 47), curly=True,
                                   nbsp=(("1,602", "CyberTipline"), ("In", "2024, NCMEC handled"), ("22", "survivors/families"))),
      lambda s: rl_split_table(s, RL(font="DejaVu", t_header=True, t_long_split=True, page_number="center")),
      "reportlab LongTable with header row repeated, split over a page break; curly quotes; NBSPs; DejaVu")
sheet("vi_2021_rl_table_nextpage", made("VI", 2021, V(131, 2, 10, 3, 6, 1, 2, 3, 1, 1, 5)),
      lambda s: render_rl(s, RL(t_position="next_page", t_grid=False, t_num_align="CENTER", t_label_bold=True,
                                header="{place} Data \u2014 NCMEC", header_first=False, page_number="dash")),
      "U.S. Virgin Islands; table alone on the next page after its sentence; no grid; bold labels; centred numbers; "
      "running header pages 2+; page number '– n –'")
sheet("nh_2024_rl_table_first", made("NH", 2024, V(2051, 70, 203, 140, 57, 6, 13, 27, 20, 1, 66)),
      lambda s: render_rl(s, RL(t_position="before", t_header=True, t_num_align="LEFT", t_valign="MIDDLE",
                                t_widths=(0.38, 0.12), t_grid=False)),
      "table BEFORE its announcing sentence; header row; narrow wrapping labels; numbers left-aligned and "
      "vertically centred; no grid")
sheet("ri_2022_rl_caps", made("RI", 2022, V(1208, 27, 74, 58, 14, 2, 5, 12, 9, 1, 39), curly=True,
                              nbsp=(("1,208", "CyberTipline"), ("In", "2022, NCMEC reviewed"), ("12", "survivors/families"))),
      lambda s: render_rl(s, RL(font="DejaVuSerif", caps_headings=True, smallcaps_title=True, hyphenate=True,
                                page=A4, size=10.5)),
      "all-caps headings, small-caps title (font-size trick), curly quotes, NBSPs, hyphenation, DejaVu Serif, A4")
sheet("ma_2023_rl_thinspace", made("MA", 2023, V(9120, 143, 1288, 1047, 205, 36, 48, 101, 77, 3, 215)),
      lambda s: render_rl(s, RL(transform=thin_groups, font="DejaVu")),
      "Massachusetts; every grouped figure with a THIN SPACE (U+2009) as thousands separator ('9 120')")
sheet("pr_2024_rl_numbers_first", made("PR", 2024, V(2712, 31, 97, 55, 40, 2, 4, 11, 9, 1, 44), ss_facility=True),
      lambda s: render_rl(s, RL(t_numbers_first=True, t_header=True, t_widths=(0.7, 0.14))),
      "table with the number column first ('Cases | Type of case'), header row, grid")
sheet("ca_2021_rl_total_notes", made("CA", 2021, V(98765, 1290, 3512, 2790, 610, 112, 377, 402, 333, 9, 1101)),
      lambda s: render_rl(s, RL(t_header=True, t_total=True,
                                footnotes=(("Social Services\t2,790", NOTE_OTHER), ("Other Missing Children Cases\t610", NOTE_PLACE)),
                                note_style="sup", notes_page=2, page_number="center")),
      "table with header row and a bold 'Total' row; superscript markers on a grouped and an ungrouped table number; "
      "notes '¹ text' at page bottom")
sheet("il_2023_rl_sup_notes", seed("il_2023"),
      lambda s: render_rl(s, RL(font="DejaVu", footnotes=(("NCMEC reviewed 77", NOTE_SUB), ("NCMEC had 78", NOTE_ENG),
                                                         ("including 151", NOTE_HOPE)),
                                note_style="sup", notes_page=2, draw_furniture_first=False)),
      "Illinois seed; superscript markers on sentence figures 77, 78, 151; notes '¹ text' at page 2 bottom (drawn after "
      "the page content)")
sheet("ga_2024_rl_pagebreaks", made("GA", 2024, V(13502, 214, 1601, 1220, 348, 33, 66, 121, 90, 5, 322)),
      lambda s: render_rl(s, RL(page_breaks=(("at least", "19,800 reports"), ("NCMEC handled", "1,601 cases")),
                                header="NCMEC \u00b7 {place} Data \u00b7 {year}", page_number="center",
                                footnotes=(("CyberTipline received 20.5 million reports", NOTE_RPT),), note_style="bracket")),
      "page breaks between 'at least' and '19,800' and between 'handled' and '1,601'; header with the year; "
      "page number centre drawn first; a note '[1] text'")
sheet("tx_2022_rl_bracket_notes", made("TX", 2022, V(39870, 998, 2410, 1900, 390, 120, 240, 330, 266, 7, 1015)),
      lambda s: render_rl(s, RL(footnotes=(("engagements with Texas social service agencies on cases involving child sex trafficking.", NOTE_ENG),
                                           ("connected 266", NOTE_HOPE), ("on 7", NOTE_PLACE)),
                                note_style="bracket", notes_page=2, page=A4)),
      "superscript markers on 266 and 7 (ungrouped) and after a sentence; notes '[n] text' at the page bottom")
sheet("ny_2023_chromium_print", made("NY", 2023, V(27315, 301, 2214, 1688, 431, 95, 97, 176, 142, 6, 402)),
      lambda s: chromium_print(html_page(s, "body{font:10.5pt Georgia,serif} main{column-count:2;column-gap:2em}"
                                         "h1{column-span:all} td.n,th.n{text-align:center} table{border-collapse:collapse}"
                                         "td,th{border:1px solid #999;padding:2px 4px}"), "ny_2023_chromium_print"),
      "HTML page with CSS two-column prose and a <thead> table, printed to PDF by headless Chromium")
sheet("mp_2022_lo_footnotes", made("MP", 2022, V(61, 1, 4, 1, 2, 1, 1, 2, 1, 1, 3)),
      lambda s: soffice_fodt(s, "mp_2022_lo_footnotes", footnotes=(("NCMEC reviewed 1", NOTE_SUB),
                                                                    ("Other Missing Children Cases", NOTE_OTHER),
                                                                    ("connected 1", NOTE_HOPE)),
                             header="NCMEC {place} Data {year}"),
      "LibreOffice Writer (.fodt) with real footnotes on '1 submission', a table label and '1 survivor/family'; "
      "small-caps headings; header/footer page number; table with header row")
sheet("wa_2021_lo_twocol", made("WA", 2021, V(7033, 120, 801, 630, 160, 11, 33, 88, 70, 2, 190)),
      lambda s: soffice_fodt(s, "wa_2021_lo_twocol", columns=2, header="The National Center for Missing and Exploited Children \u2013 {place} Data"),
      "LibreOffice Writer two-column page; running header repeating the title; centred numbers")
sheet("tx_2023_lo_html", made("TX", 2023, V(40112, 1003, 2390, 1870, 395, 125, 251, 330, 270, 8, 1090)),
      lambda s: soffice_html(s, "tx_2023_lo_html"),
      "an HTML page converted by LibreOffice --convert-to pdf (Writer/Web), table with <thead>, centred numbers")

# isolating variants: the same layouts without the running header, and footnotes done "right"
sheet("wi_2023_rl_twocol_nohdr", seed("wi_2023"),
      lambda s: render_rl(s, RL(columns=2, t_header=True, t_widths=(0.72, 0.28), size=9.5, page_number=None)),
      "as wi_2023_rl_twocol but no running header and no page number (two-column prose alone)")
sheet("wa_2021_lo_twocol_nohdr", made("WA", 2021, V(7033, 120, 801, 630, 160, 11, 33, 88, 70, 2, 190)),
      lambda s: soffice_fodt(s, "wa_2021_lo_twocol_nohdr", columns=2, header=""),
      "as wa_2021_lo_twocol but with an empty header (LibreOffice two-column alone, page number kept)")
sheet("oh_2024_rl_samepage_notes", made("OH", 2024, V(13580, 240, 1422, 1160, 231, 31, 52, 143, 101, 3, 287)),
      lambda s: render_rl(s, RL(footnotes=(("NCMEC reviewed 240", NOTE_SUB), ("Other Missing Children Cases", NOTE_OTHER)),
                                note_style="sup", notes_page=1, page_number=None)),
      "footnotes done conventionally: superscript markers on a page-1 figure (240) and a table label, notes "
      "'¹ text' at the bottom of the same page; no page number")


def soffice_fodt(s, name, **kw) -> bytes:
    src = SRC / f"{name}.fodt"
    src.write_text(fodt(s, **kw), "utf-8")
    return soffice(src)


def soffice_html(s, name) -> bytes:
    src = SRC / f"{name}.html"
    src.write_text(html_page(s, "td.n,th.n{text-align:center} table{border:1px solid black}"), "utf-8")
    return soffice(src)


def main(argv):
    for d in (PDF, OUT, SRC):
        d.mkdir(parents=True, exist_ok=True)
    names = argv or list(SHEETS)
    for name in names:
        source, how, covers = SHEETS[name]
        print(name)
        data = how(source)
        pdf = PDF / f"{name}.pdf"
        pdf.write_bytes(data)
        (OUT / f"{name}.expected.json").write_text(json.dumps(
            {"sheet": name, "covers": covers, "geo": source.geo, "year": source.year,
             "observations": source.observations}, indent=1, ensure_ascii=False) + "\n", "utf-8")
        (SRC / f"{name}.source.txt").write_text(source.text, "utf-8")
        for tool, (ext, run) in MC.TOOLS.items():
            try:
                text = run(pdf)
            except Exception as exc:  # a tool that fails is recorded, not fatal
                text = f"TOOL FAILED: {type(exc).__name__}: {exc}"
            (OUT / f"{name}.{tool}.{ext}").write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
