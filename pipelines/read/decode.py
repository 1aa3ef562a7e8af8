"""Stage 1: raw bytes to text.

Sheets arrive as PDF (its text layer read by pipelines/read/pdf.py) or as text exported from PDF by
different tools: UTF-8 (with or without BOM), UTF-16, cp1252, latin-1; LF or CRLF. The decoded
text is what `char_start`/`char_end` point into: BOM removed and line endings folded to "\\n",
nothing else changed.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass

import charset_normalizer

from pipelines.core.limits import DEFAULT, Limits
from pipelines.core.rejection import Rejected

# Magic numbers of formats that are surely not a text sheet, named in the rejection reason.
_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"PK\x03\x04": "a ZIP archive (or an Office document)",
    b"\x1f\x8b": "a gzip archive",
    b"\x7fELF": "an executable",
}
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_LEGACY = ("cp1252", "iso8859_15", "latin_1")
# Share of control characters (other than tab, newlines, form feed) above which decoded
# "text" is really binary that happened to decode.
_MAX_CONTROL_SHARE = 0.01


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _control_share(text: str) -> float:
    return len(_CONTROL.findall(text)) / len(text) if text else 0.0


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark: English text has a NUL in every other byte."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _guess(data: bytes) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise Rejected("undecodable", f"starts with a {encoding} byte-order mark but is not valid {encoding}: "
                                              f"{exc.reason} at byte {exc.start}") from None
    if b"\x00" in data:
        utf16 = _bomless_utf16(data)
        if utf16 is None:
            raise Rejected("binary", "contains NUL bytes, so it is binary, not a text sheet")
        try:
            return data.decode(utf16), utf16
        except UnicodeDecodeError:
            raise Rejected("undecodable",
                           f"looks like {utf16} without a byte-order mark but does not decode as it") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Not UTF-8: let charset-normalizer choose among the Western encodings Windows exporters
    # write (Mac ones write UTF-8; with mac_roman allowed, cp1252 quotes came out as "í").
    # Unrestricted, it reads a short English sheet with a few curly quotes as big5 or cp932.
    best = charset_normalizer.from_bytes(data, cp_isolation=list(_LEGACY)).best()
    if best is None:
        raise Rejected("undecodable", "is neither UTF-8 nor any encoding charset-normalizer recognises")
    return str(best), best.encoding


def decode(data: bytes, limits: Limits = DEFAULT) -> Decoded:
    """Decode one input file's bytes, or raise `Rejected` with a reason a person understands;
    `limits` bound what a PDF may hold."""
    if not data.strip(b" \t\r\n\x0b\x0c"):
        raise Rejected("empty", "is empty" if not data else "holds only white space")
    if data.startswith(b"%PDF"):
        from pipelines.read.pdf import pdf_text  # only when a PDF turns up: it imports pypdf

        text, encoding = pdf_text(data, limits), "pdf"
    else:
        for magic, what in _MAGIC.items():
            if data.startswith(magic):
                raise Rejected("binary", f"is {what}, not a text sheet")
        text, encoding = _guess(data)
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise Rejected("empty", "holds only white space")
    if _control_share(text) > _MAX_CONTROL_SHARE:
        raise Rejected("binary", f"decodes as {encoding} but is full of control characters, so it is binary")
    return Decoded(text=text, encoding=encoding)
