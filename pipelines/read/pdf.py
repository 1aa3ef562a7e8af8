"""PDF bytes to text, for sheets that arrive as the PDF NCMEC publishes rather than its text.

pypdf is imported only when a PDF turns up, so parse workers that never see one never load it.
The text returned is the document text that `char_start`/`char_end` point into.
"""

from __future__ import annotations

import logging
import re
from io import BytesIO
from itertools import pairwise
from statistics import median
from typing import TYPE_CHECKING

from pipelines.core.limits import DEFAULT, Limits, size_text
from pipelines.core.rejection import Rejected

if TYPE_CHECKING:
    from pypdf import PageObject, PdfReader

# pypdf turns the extra room of a justified line into a second space beside the real one when a
# PDF spaces words by offsets inside the text (as fpdf2 does with a TrueType font).
_SPACES = re.compile(r" {2,}")
# A gap between two lines this much wider than the page's usual line spacing starts a paragraph.
_PARAGRAPH_GAP = 1.3
# Digits set this much smaller than the page's usual text, and raised, are a footnote marker.
_SUPERSCRIPT_SIZE = 0.85


def pdf_text(data: bytes, limits: Limits = DEFAULT) -> str:
    """The text of every page, or `Rejected` when the PDF cannot be read, holds no text, or
    holds more than `limits` allow (pages, a stream's decompressed bytes, the text).

    Pages are joined as pdftotext joins them ("\\n\\f"), which the extractor reads as a line
    break: a page usually breaks mid-paragraph, often mid-sentence.
    """
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import FileNotDecryptedError, LimitReachedError

    # A PDF ends with %%EOF (within its last 1 KiB, as readers look for it). Without it the file
    # was cut short, and pypdf would recover what it could: a sheet missing its last figures.
    if b"%%EOF" not in data[-1024:]:
        raise Rejected("binary", "is a PDF file that is cut short (it has no %%EOF end marker), "
                                 "so part of its text may be missing")
    damage = _Warnings()
    logging.getLogger("pypdf").addHandler(damage)
    stream = limits.pdf_stream_bytes
    try:
        with apply_configuration(zlib_maximum_output_length=stream, lzw_maximum_output_length=stream,
                                 run_length_maximum_output_length=stream, brotli_maximum_output_length=stream,
                                 array_based_stream_maximum_output_length=stream,
                                 stream_decoding_work_maximum_length=2 * stream):
            pages = _pages(PdfReader(BytesIO(data)), limits)
    except Rejected:
        raise
    except LimitReachedError as exc:
        raise Rejected("too_large", f"is a PDF with a stream that decompresses to more than {size_text(stream)}, far "
                                    f"more than a sheet's text (pypdf: {str(exc)[:120]}), so it is not read") from None
    except FileNotDecryptedError:
        raise Rejected("undecodable",
                       "is an encrypted PDF that needs a password to open, so its text cannot be read") from None
    except Exception as exc:  # malformed PDFs make pypdf raise KeyError, ValueError, ... not only its own errors
        raise Rejected("binary",
                       f"is a PDF file that pypdf cannot read ({type(exc).__name__}: {str(exc)[:200]})") from None
    finally:
        logging.getLogger("pypdf").removeHandler(damage)
    text = _SPACES.sub(" ", "\n\f".join(pages))
    if not text.strip():
        # pypdf repairs what it can and says so: no text then means damage, not a scan.
        if damage.messages:
            raise Rejected("binary", "is a PDF file that pypdf cannot read: it is damaged "
                                     f"({damage.messages[0][:200]}) and no text could be read from it")
        raise Rejected("no_text_layer", "is a PDF with no text layer (a scanned image?), so there is no text to read; "
                       "run it through OCR or export the sheet's text")
    return text


def _pages(reader: PdfReader, limits: Limits) -> list[str]:
    """Each page's text, within the limits: pages counted before any is read, the text as it comes."""
    if len(reader.pages) > limits.pdf_pages:
        raise Rejected("too_large", f"is a PDF of {len(reader.pages)} pages, over the limit of {limits.pdf_pages} "
                                    "(a fact sheet has a few), so it is not read")
    pages, size = [], 0
    for page in reader.pages:
        pages.append(_page_text(page))
        size += len(pages[-1])
        if size > limits.text_bytes:
            raise Rejected("too_large", f"is a PDF whose pages give more than {size_text(limits.text_bytes)} of text "
                                        "(--max-text-size), far more than a fact sheet's, so it is not read")
    return pages


class _Warnings(logging.Handler):
    """Collects what pypdf warns of while it reads (objects it had to skip or repair)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _page_text(page: PageObject) -> str:
    """pypdf's text of the page, with a blank line where a paragraph starts.

    pypdf writes every line break as one "\\n", so a heading or a table row would run into the
    next sentence and be quoted with it as evidence. The height of each line (from the
    positions pypdf reports to a visitor) tells a paragraph's wider gap from a line's.
    """
    seen: list[tuple[str, float | None, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        # The baseline's height on the page; a line break pypdf reports has no position of its own.
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5] if text.strip() else None
        seen.append((text, y, abs(size * tm[3] * cm[3])))

    text = page.extract_text(visitor_text=visit)
    if "".join(piece for piece, _, _ in seen) != text:
        return text  # the visitor saw other text than pypdf returned: keep pypdf's (not seen with 7.1)
    pieces = _superscripts(seen)
    text = "".join(piece for piece, _ in pieces)
    texts: list[str] = [""]
    heights: list[float | None] = [None]  # of each line's first text
    for piece, y in pieces:
        for i, part in enumerate(piece.split("\n")):
            if i:
                texts.append("")
                heights.append(None)
            texts[-1] += part
            if i == 0 and heights[-1] is None and part.strip():
                heights[-1] = y
    pairs = list(pairwise(heights))
    # Only a step down the page is a gap: a table's number cell, set beside its label's
    # wrapped lines, sends the next line back up.
    gaps = [a - b for a, b in pairs if a is not None and b is not None and a > b]
    if not gaps:
        return text
    wide = _PARAGRAPH_GAP * median(gaps)
    breaks = ["\n\n" if a is not None and b is not None and a - b > wide else "\n" for a, b in pairs]
    return texts[0] + "".join(brk + line for brk, line in zip(breaks, texts[1:], strict=True))


def _superscripts(seen: list[tuple[str, float | None, float]]) -> list[tuple[str, float | None]]:
    """Footnote markers as superscript digits ("77¹", not "771"): digits set smaller than the text
    around them, raised above the baseline of what precedes them or set right against it (a
    rise by the text-rise operator does not show in the positions pypdf reports)."""
    from pipelines.read.markup import SUPERSCRIPT

    sizes = [size for piece, y, size in seen if y is not None and size > 0]
    if not sizes:
        return [(piece, y) for piece, y, _ in seen]
    usual = median(sizes)
    out: list[tuple[str, float | None]] = []
    last_y: float | None = None
    for piece, y, size in seen:
        raised = y is not None and last_y is not None and y > last_y + 0.15 * usual
        glued = bool(out) and out[-1][0][-1:].strip() != "" and piece[:1].strip() != ""
        if (raised or glued) and piece.strip().isdigit() and 0 < size < _SUPERSCRIPT_SIZE * usual:
            piece = piece.translate(SUPERSCRIPT)
        elif y is not None:
            last_y = y
        out.append((piece, y))
    return out
