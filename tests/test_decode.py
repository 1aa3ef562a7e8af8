"""Bytes to text: encodings, line endings, and inputs rejected whole with a reason."""

from __future__ import annotations

import codecs
import gzip

import pytest
from conftest import RAW

from pipelines.read.decode import Rejected, decode

SHEET = (RAW / "wisconsin_2023.txt").read_text("utf-8")


@pytest.mark.parametrize(
    "data",
    [
        SHEET.encode("utf-8"),
        codecs.BOM_UTF8 + SHEET.encode("utf-8"),
        SHEET.replace("\n", "\r\n").encode("utf-8"),
        SHEET.replace("\n", "\r").encode("utf-8"),
        SHEET.encode("utf-16"),
        SHEET.encode("utf-32"),
        SHEET.replace("'", "\u2019").encode("cp1252"),
        SHEET.replace("NCMEC's", "NCMEC\u00a0\u00e9").encode("latin-1"),
    ],
    ids=["utf8", "bom", "crlf", "cr", "utf16", "utf32", "cp1252", "latin1"],
)
def test_decodes_to_the_same_text(data):
    text = decode(data).text
    expected = SHEET
    if "\u2019" in text:
        expected = SHEET.replace("'", "\u2019")
    if "\u00e9" in text:
        expected = SHEET.replace("NCMEC's", "NCMEC\u00a0\u00e9")
    assert text == expected


@pytest.mark.parametrize(
    "data, check, words",
    [
        (b"", "empty", "is empty"),
        (b"  \r\n\t\n", "empty", "white space"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "binary", "PNG"),
        (gzip.compress(SHEET.encode()), "binary", "gzip"),
        (b"%PDF-1.7\n...", "binary", "PDF"),
        (b"abc\x00def" * 10, "binary", "NUL"),
        (codecs.BOM_UTF8 + b"\xff\xfe\xfd abc", "undecodable", "utf-8"),
        (bytes(range(1, 32)) * 40, "binary", "control characters"),
    ],
    ids=["empty", "whitespace", "png", "gzip", "pdf", "nul", "bad-bom", "controls"],
)
def test_rejects_with_reason(data, check, words):
    with pytest.raises(Rejected) as info:
        decode(data)
    assert info.value.check == check
    assert words in info.value.reason
