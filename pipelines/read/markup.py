"""HTML and markdown to plain text, as steps of a `Mapped` text (see normalise.py).

HTML comes from browsers' "save as" and from pdftohtml; markdown from converters such as
pymupdf4llm and markitdown. Tags, entities, emphasis, links and table pipes go; block ends
become line breaks and table cells tab-separated; a footnote marker (<sup>1</sup>, [^1]) becomes
a superscript digit, which the footnote step reads (furniture.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from html import unescape
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from pipelines.read.textmap import Edit, Mapped

SUPERSCRIPT = str.maketrans("0123456789", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")

_HTML_ROOT = re.compile(r"<(?:!doctype\s+html|html|body)\b", re.IGNORECASE)
_HTML_BLOCK = re.compile(r"<(?:p|div|br|td|tr)\b", re.IGNORECASE)
_BLOCKS = frozenset("address article aside blockquote body caption dd div dl dt figcaption figure footer form h1 h2 h3 "
                    "h4 h5 h6 header hr li main nav ol p pre section table tbody tfoot thead ul".split())
_HIDDEN = frozenset("head script style template noscript title".split())
_END_TAG = re.compile(r"</[^>]*>")
_ENTITY = re.compile(r"&#?[0-9A-Za-z]+;?")
# pdftohtml sets each text block at an absolute position; blocks at one height form a row.
_TOP = re.compile(r"top:\s*(\d+)px")


class _Html(HTMLParser):
    """Collects the edits that turn an HTML document into text with its line structure."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=False)
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.edits: list[Edit] = []
        self.hidden = 0
        self.sup = 0
        self.last_block: tuple[int, int] | None = None  # (edit index of its end, its top in px)
        self.top: int | None = None
        self.gap: tuple[int, int] | None = None  # white space since the last block ended

    def _pos(self) -> int:
        line, col = self.getpos()
        return self.line_starts[line - 1] + col

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._pos()
        end = start + len(self.get_starttag_text() or "")
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "sup":
            self.sup += 1
        top = next((int(m.group(1)) for k, v in attrs if k == "style" and v and (m := _TOP.search(v))), None)
        sep = "\n" if tag in ("br", "tr") else "\n\n" if tag in _BLOCKS else ""
        if top is not None and self.last_block and abs(self.last_block[1] - top) <= 4:
            i = self.last_block[0]  # the block before ended on this one's line: a cell, not a line
            self.edits[i] = (*self.edits[i][:2], "\t")
            if self.gap:
                self.edits.append((*self.gap, ""))
            sep = ""
        self.top, self.last_block, self.gap = top, None, None
        self.edits.append((start, end, sep))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._pos()
        end = start + len(self.get_starttag_text() or "")
        self.edits.append((start, end, "\n" if tag == "br" else "\n\n" if tag in _BLOCKS else ""))

    def handle_endtag(self, tag: str) -> None:
        start = self._pos()
        m = _END_TAG.match(self.text, start)
        end = m.end() if m else start
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "sup":
            self.sup = max(0, self.sup - 1)
        sep = "\t" if tag in ("td", "th") else "\n" if tag == "tr" else "\n\n" if tag in _BLOCKS else ""
        self.edits.append((start, end, sep))
        if tag in _BLOCKS and self.top is not None:
            self.last_block = (len(self.edits) - 1, self.top)
            self.top = None

    def handle_data(self, data: str) -> None:
        start = self._pos()
        if self.last_block and not data.strip():
            self.gap = (start, start + len(data))
        if self.hidden:
            self.edits.append((start, start + len(data), ""))
        elif self.sup:
            marker = data.strip()
            self.edits.append((start, start + len(data), marker.translate(SUPERSCRIPT) if marker.isdigit() else ""))

    def _reference(self) -> None:
        start = self._pos()
        m = _ENTITY.match(self.text, start)
        if m:
            self.edits.append((start, m.end(), "" if self.hidden or self.sup else unescape(m.group())))

    def handle_entityref(self, name: str) -> None:
        self._reference()

    def handle_charref(self, name: str) -> None:
        self._reference()

    def _drop(self, closing: str) -> None:
        start = self._pos()
        end = self.text.find(closing, start)
        self.edits.append((start, len(self.text) if end < 0 else end + len(closing), ""))

    def handle_comment(self, data: str) -> None:
        self._drop("-->")

    def handle_decl(self, decl: str) -> None:
        self._drop(">")

    def handle_pi(self, data: str) -> None:
        self._drop(">")


def strip_html(text: Mapped) -> Mapped:
    """An HTML document's text (a page saved by a browser, pdftohtml's output); other text as it is."""
    head = text.text[:20000]
    if "<" not in head or not (_HTML_ROOT.search(head) or len(_HTML_BLOCK.findall(head)) >= 5):
        return text
    parser = _Html(text.text)
    parser.feed(text.text)
    parser.close()
    return text.edit(sorted(parser.edits))


# ------------------------------------------------------------------------------------ markdown

# Each construct, and what a text must hold for it to be worth looking for (most sheets hold
# only "**" bold markers, and one pattern of every alternative costs half a millisecond a sheet).
_CONSTRUCTS = {
    "comment": (r"<!--.*?-->", "<!--"),  # docling's "<!-- image -->"
    "sup": (r"<sup>[\s*_]*(?P<sup_digits>\d*)[\s*_]*</sup>", "<"),
    "br": (r"<br\s*/?>", "<"),
    "tag": (r"</?(?:b|strong|i|em|u|span|sup|sub|small|mark|font|a)(?:\s[^>\n]*)?>", "<"),
    "noteref": (r"\[\^(?P<note>\d+)\]:?", "["),
    "image": (r"!\[[^\]\n]*\]\([^)\n]*\)", "!["),
    "link": (r"\[(?P<link_text>[^\]\n]+)\]\([^)\s]*\)", "]("),
    "strong": (r"\*\*|__", None),
    "em": (r"(?<![\w*\\])[*_](?=[^\s*_])(?P<em_text>[^*_\n]+?)(?<=[^\s*_])[*_](?![\w*])", None),
    "escape": (r"\\(?P<escaped>[\\`*_{}\[\]()#+\-.!|>~])", "\\"),
    "tick": (r"`+", "`"),
    # (A bullet, but not a page number between dashes, "- 2 -", which the furniture step removes.)
    "line_start": (r"(?m:^[ \t]{0,3}(?:#{1,6}[ \t]+|(?:>[ \t]?)+|[-*+][ \t]+(?=\S)(?!\d{1,3}[ \t]*-[ \t]*$)))", None),
    "rule": (r"(?m:^[ \t]*(?:-{3,}|\*{3,}|_{3,})[ \t]*$)", None),
}

_EM = re.compile(r"(?<![*\w])\*(?![*\s])|(?<![_\w])_(?![_\s])")


def _line_start(body: str) -> Callable[[str], bool]:
    """Whether a line starts with `body`: "(?m)^" is tried at every position, a pattern that
    starts with "\n" is scanned for in C (several times faster)."""
    first, later = re.compile(body), re.compile("\n" + body)
    return lambda text: bool(first.match(text) or later.search(text))


_NEEDS: dict[str, Callable[[str], bool]] = {
    "strong": lambda text: "**" in text or "__" in text,
    "line_start": _line_start(r"[ \t]{0,3}(?:#|>|[-*+][ \t])"),
    "rule": _line_start(r"[ \t]*(?:---|\*\*\*|___)"),
}
_DELIMITER_ROW = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$", re.MULTILINE)


@cache
def _inline_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?P<{name}>{_CONSTRUCTS[name][0]})" for name in names), re.IGNORECASE | re.DOTALL)


def _present(text: str) -> tuple[str, ...]:
    return tuple(name for name, (_, hint) in _CONSTRUCTS.items()
                 if (hint in text if hint else name != "em" and _NEEDS[name](text))
                 or name == "em" and _emphasis(text))


def _emphasis(text: str) -> bool:
    """Single * or _ emphasis, told from ** bold cheaply first (the seeds hold only **)."""
    if text.count("*") == 2 * text.count("**") and "_" not in text:
        return False
    return bool(_EM.search(text))


def _inline(m: re.Match[str]) -> str:
    kind = m.lastgroup
    if kind == "sup":
        return m.group("sup_digits").translate(SUPERSCRIPT)
    if kind == "br":
        return "\n"
    if kind == "noteref":
        return m.group("note").translate(SUPERSCRIPT)
    if kind == "link":
        return m.group("link_text")
    if kind == "em":
        return m.group("em_text")
    if kind == "escape":
        return m.group("escaped")
    return ""


def _tables(text: Mapped) -> Mapped:
    """Pipe tables (as markdown-it reads them) to tab-separated rows; the delimiter row goes."""
    if "|" not in text.text or not _DELIMITER_ROW.search(text.text):
        return text
    lines = text.text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    edits: list[Edit] = []
    tokens = MarkdownIt("commonmark").enable("table").parse(text.text)
    for token in tokens:
        if token.type != "table_open" or not token.map:
            continue
        for n in range(*token.map):
            line = lines[n]
            if _DELIMITER_ROW.fullmatch(line):
                edits.append((starts[n], min(starts[n + 1], len(text.text)), ""))
                continue
            pipes = [m.start() for m in re.finditer(r"(?<!\\)\|", line)]
            for k, p in enumerate(pipes):
                outer = (k == 0 and not line[:p].strip()) or (k == len(pipes) - 1 and not line[p + 1:].strip())
                edits.append((starts[n] + p, starts[n] + p + 1, "" if outer else "\t"))
    return text.edit(sorted(edits))


def strip_markdown(text: Mapped) -> Mapped:
    """Markdown syntax out: headings, emphasis, links, images, quotes, bullets, rules, escapes,
    inline tags; pipe tables to tab-separated rows. Plain text passes unchanged (its "**" bold
    markers go too: the seeds use them)."""
    text = _tables(text)
    names = _present(text.text)
    return text.sub(_inline_pattern(names), _inline) if names else text
