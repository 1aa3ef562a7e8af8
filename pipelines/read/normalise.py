"""Stage 2a: an exporter's dialect to the plain text the extractor reads, with a map back.

Sheets reach us through many PDF-to-text tools, and each mangles the text its own way: HTML
saves and pdftohtml write tags and entities; markdown converters (pymupdf4llm, markitdown)
write headings, emphasis, pipe tables and <sup> footnote markers; files passed through the
wrong code page carry mojibake ("NCMECâ€™s"); PDFs with typeset ligatures give "ﬁ"; every
tool prints the page headers and footers where the page broke, often mid-sentence; justified
text leaves runs of spaces and words hyphenated at line ends; footnote digits stick to the word
or number they mark ("reports1", "27,1303").

Each rewrite is a step of a `Mapped` text (pipelines/read/textmap.py), so every span of the result
maps back to the decoded text: `evidence` stays verbatim. Two results are kept: `plain`, with
the lines and cell gaps the table reader needs, and `flat`, each run of white space one
character, which the catalog's sentence patterns read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property

import ftfy
from ftfy.chardata import UTF8_DETECTOR_RE

from pipelines.core import anchors
from pipelines.read import footnotes, furniture, markup
from pipelines.read.textmap import Mapped

_LIGATURES = {0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl", 0xFB05: "st", 0xFB06: "st"}
_LIGATURE = re.compile("[\ufb00-\ufb06]")
# The lead bytes of UTF-8 read as Windows-1252 ("Â", "Ã", "â", "ï"): worth asking ftfy then.
_MOJIBAKE_HINT = re.compile("[\u00c2-\u00c3\u00e2\u00ef][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d"
                            "\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030"
                            "\u2039\u203a\u20ac\u2122]")
# One character for one: quotes, dashes and hyphens to ASCII, any white space but a line break
# or a tab to a space. (Soft hyphens and zero-width characters are removed later.)
_SAME_LENGTH = str.maketrans({
    **dict.fromkeys("\u2018\u2019\u02bc\u2032", "'"), **dict.fromkeys("\u201c\u201d\u2033", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d", "-"),
    **dict.fromkeys("\x0b\x0c\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
                    "\u200a\u2028\u2029\u202f\u205f\u3000", " "),
})
# Words the catalog's patterns and the title need that a font typesets with a ligature: Ghostscript's
# txtwrite, on a font whose ligature glyph it cannot name, prints one wrong letter for it
# ("identiocation", "traûcking", "Ofoce"). tests/test_catalog.py holds the list to the catalog.
LIGATURE_WORDS = ("identification", "trafficking", "specific", "office", "files")
_LIGATURE_LETTERS = ("ffi", "ffl", "ff", "fi", "fl")
_GROUP_SPACE = re.compile(r"[\u2009\u202f\u00a0](?<=\d[\u2009\u202f\u00a0])(?=\d{3}(?!\d))")  # the space first
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]+")
# A word broken at a line end: "exploi-\ntation", "social ser- \n\n**vice" (the markers are gone
# by now), "exploi\u00ad\ntation" (a soft hyphen printed where the line broke).
# (A look-behind comes after the first character; even so, a choice of two first characters is
# tried at every hyphen-less position: in ASCII text each match holds a hyphen before a line break,
# a literal first, which the engine scans for in C, so that is asked first.)
_BROKEN_WORD = re.compile(r"(?P<hyphen>-|\u00ad)(?<=[A-Za-z][-\u00ad])[ \t]*\n\s*(?=[A-Za-z])")
_HYPHEN_AT_BREAK = re.compile(r"-[ \t]*\n")
_WORD_BEFORE = re.compile(r"[A-Za-z]+$")
_WORD_AFTER = re.compile(r"[A-Za-z]+")
_TOKEN = re.compile(r"\w+")  # a word of its own: as far as `\b` on either side of it
_SOFT_HYPHEN = re.compile("\u00ad")
_SPLIT_AT_PAGE = re.compile(r"(?:[ \t](?<=[a-z][ \t])[ \t]*\n|\n(?<=[a-z]\n))[ \t]*\n\s*(?=[a-z])")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
# For `flat`: a run of white space holding a blank line is a paragraph break, any other run one space.
_SPACE_RUN = re.compile(r"\s{2,}")
_LONE_BREAK = re.compile(r"[\t\n](?<!\s[\t\n])(?!\s)")
_PARAGRAPH = re.compile(r"\n[^\S\n]*\n")
# For `skeleton`: the white space between two letters (`flat` has one character in each run), and
# a hyphen before it where a lowercase letter follows (a word broken at a line end, the line break
# printed as a space: "engage- ments", from PyMuPDF's words).
_LETTER_GAP = re.compile(r"(?<=[A-Za-z])(?:-\s(?=[a-z])|\s(?=[A-Za-z]))")


@dataclass
class Normalised:
    plain: Mapped  # lines and cell gaps kept
    flat: Mapped  # each run of white space one character: "\n" for a paragraph break, else " "
    footnotes: footnotes.Footnotes = field(default_factory=footnotes.Footnotes)

    @cached_property
    def folded(self) -> str | None:
        """`flat` lowercased, for the catalog's anchored patterns (pipelines/core/anchors.py)."""
        return anchors.fold(self.flat.text)

    @cached_property
    def skeleton(self) -> Mapped:
        """`flat` with the white space between two letters taken out, for the words an extractor
        glued ("weremade", "NewMexico") or split ("r eviewed", "Car olina") to read as the sheet
        prints them; digits, and the white space around them, stay as they are. Made only for a
        sheet whose figures `flat` does not give."""
        return self.flat.sub(_LETTER_GAP, "")

    @cached_property
    def skeleton_folded(self) -> str | None:
        return anchors.fold(self.skeleton.text)

    @cached_property
    def _compact(self) -> str | None:
        """`folded` without its white space and hyphens: a word of a skeleton match is in it
        (the skeleton drops a hyphen before a line break too, "con- nected")."""
        return "".join(self.folded.split()).replace("-", "") if self.folded is not None else None

    def may_hold(self, finder: anchors.Anchored) -> bool:
        """Whether the skeleton can hold a match of the finder: every word of its matches is in
        the text once white space is out (a test that needs no skeleton)."""
        return self._compact is None or all(a.word in self._compact for a in finder.anchors)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """A span of `flat`, in the decoded text."""
        return self.flat.span(start, end)

    def plain_span(self, start: int, end: int) -> tuple[int, int]:
        """A span of `flat`, in `plain`."""
        return self.flat.span_in(self.plain, start, end)


def repair_unicode(text: Mapped) -> Mapped:
    """Mojibake (UTF-8 read as Windows-1252) back to what was meant, by ftfy, run by run so that
    each repair maps to its own characters; ligatures to their letters; quotes and dashes to ASCII."""
    if text.text.isascii():
        return text
    if _MOJIBAKE_HINT.search(text.text) and ftfy.badness.is_bad(text.text):
        text = text.sub(UTF8_DETECTOR_RE, lambda m: ftfy.fix_encoding(m.group()))
    if _LIGATURE.search(text.text):
        text = text.sub(_LIGATURE, lambda m: _LIGATURES[ord(m.group())])
    # A thin, narrow or no-break space between digit groups groups thousands ("9 120"): a comma,
    # before the same-length step would make it a space.
    text = text.sub(_GROUP_SPACE, ",")
    return text.translate(_SAME_LENGTH)


@cache
def _lost_ligature(word: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """The word with one of its ligatures printed as one other letter, the letter in group k, and
    the letters of the ligature each group k stands for."""
    ligatures = tuple((lig, i) for lig in _LIGATURE_LETTERS for i in range(len(word)) if word.startswith(lig, i))
    forms = [f"{re.escape(word[:i])}([^\\W\\d_])(?<!{lig[0]}){re.escape(word[i + len(lig):])}" for lig, i in ligatures]
    return re.compile(rf"\b(?:{'|'.join(forms)})\b", re.IGNORECASE), tuple(lig for lig, _ in ligatures)


def repair_lost_ligatures(text: Mapped) -> Mapped:
    """A word of LIGATURE_WORDS that the text never spells right, with one letter where its
    ligature was, is the word: the letter becomes the ligature's letters. Nothing else changes."""
    folded = text.text.lower()
    edits = []
    for word in LIGATURE_WORDS:
        if word in folded:
            continue
        pattern, letters = _lost_ligature(word)
        for m in pattern.finditer(text.text):
            at = m.lastindex or 0  # the one group of the alternative that matched
            lig = letters[at - 1]
            edits.append((m.start(at), m.end(at), lig.upper() if m.group().isupper() else lig))
    return text.edit(sorted(edits)) if edits else text


def _count(text: str, word: str) -> int:
    """How often the text writes the word, as a word of its own, in any case."""
    return len(re.findall(rf"\b{re.escape(word)}\b", text, re.IGNORECASE)) if word else 0


class _Words:
    """How often the text writes each word as a word of its own, in any case: counted in one pass
    where the text lowercased is exact (pipelines/core/anchors.py: fold), else by `_count` each time.
    Counted only when a word asked about is in the text at all (a test of the text lowercased)."""

    def __init__(self, text: str):
        self.text, self.folded = text, anchors.fold(text)

    @cached_property
    def counts(self) -> Counter[str] | None:
        return Counter(_TOKEN.findall(self.folded)) if self.folded is not None else None

    def count(self, word: str) -> int:
        if not word or (self.folded is not None and word.lower() not in self.folded):
            return 0
        return _count(self.text, word) if self.counts is None else self.counts[word.lower()]


def _around(text: str, m: re.Match[str]) -> tuple[str, str]:
    """The word ending where the match starts and the word starting where it ends."""
    before = _WORD_BEFORE.search(text, max(0, m.start() - 40), m.start())
    after = _WORD_AFTER.match(text, m.end())
    return (before.group() if before else ""), (after.group() if after else "")


def join_broken_words(text: Mapped) -> Mapped:
    """Words hyphenated at a line end, joined, by what the document itself writes: whole
    elsewhere ("Cyber-\\nTipline", "CyberTipline") the hyphen goes; hyphenated elsewhere
    ("child-\\nserving", "child-serving") it stays. A word written nowhere else keeps its hyphen
    before a capital ("HHS-\\nORR") and loses it otherwise ("exploi-\\ntation")."""
    lowered = text.text.lower()
    # Each text asked for once (a sheet copied many times over asks the same ones again): one
    # pass over the whole text for each match would make this step quadratic in the text.
    written: dict[str, bool] = {}

    def writes(part: str) -> bool:
        if part not in written:
            written[part] = part in lowered
        return written[part]

    def join(m: re.Match[str]) -> str:
        left, right = _around(text.text, m)
        if m.group("hyphen") != "-" or writes((left + right).lower()):
            return ""
        if writes(f"{left}-{right}".lower()) or right[:1].isupper():
            return "-"
        return ""

    if not text.text.isascii() or _HYPHEN_AT_BREAK.search(text.text):
        text = text.sub(_BROKEN_WORD, join)
    words = _Words(text.text)

    def rejoin(m: re.Match[str]) -> str:
        left, right = _around(text.text, m)
        whole = words.count(left + right) > 0 and words.count(left) <= 1 and words.count(right) <= 1
        return "" if whole else m.group()

    # pdftotext drops a line-end hyphen as it joins the lines, but when the next line was a page
    # footer the word stays split, and the footer's removal leaves "social ser\n\nvice": joined
    # when the document writes the whole word elsewhere and neither half as a word of its own.
    text = text.edit((m.start(), m.end(), rejoin(m)) for m in _split_at_page(text.text))
    if not text.text.isascii():
        text = text.sub(_SOFT_HYPHEN, "").sub(_INVISIBLE, "")
    return text


def _split_at_page(text: str) -> Iterator[re.Match[str]]:
    """The matches of _SPLIT_AT_PAGE, as its finditer gives them, tried only at blank lines (every
    match holds one, which a scan for "\n" finds in C): at the start of the spaces before one."""
    done = 0
    for blank in _BLANK_LINE.finditer(text):
        start = blank.start()
        if start < done:
            continue
        while start > done and text[start - 1] in " \t":
            start -= 1
        if m := _SPLIT_AT_PAGE.match(text, start):
            done = m.end()
            yield m


def flatten(text: Mapped) -> Mapped:
    """Each run of white space one character: "\\n" where it holds a blank line, else " ".

    A line break or tab on its own becomes a space in one pass of C, as a step that moves no
    offset; only runs of two or more are edits that the map keeps."""
    lone = _LONE_BREAK.sub(" ", text.text)
    text = text if lone == text.text else Mapped(lone, text, None)
    return text.sub(_SPACE_RUN, lambda m: "\n" if _PARAGRAPH.search(m.group()) else " ")


def normalise(decoded: str) -> Normalised:
    text = Mapped(decoded)
    text = markup.strip_html(text)
    text = repair_lost_ligatures(repair_unicode(text))
    text = markup.strip_markdown(text)
    text = furniture.strip_page_furniture(text)
    text, notes = footnotes.strip_footnote_markers(text)
    plain = join_broken_words(text)
    return Normalised(plain=plain, flat=flatten(plain), footnotes=notes)
