"""The sheet links on an index page: every `<a href>` (HTML read by the standard library's
parser, which never runs or fetches anything), made absolute against the page's URL, that the
index's `links` pattern finds; http(s) only, each once, in the page's order, at most MAX_LINKS."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

MAX_LINKS = 1000  # a page that lists more is not an index of fact sheets (56 places a year)
# What a browser does with a link written loosely: tabs and line breaks dropped, spaces and other
# control characters sent as %XX ("Wisconsin 2023.pdf" is asked as "Wisconsin%202023.pdf").
_DROPPED = re.compile(r"[\t\n\r]")
_ENCODED = re.compile(r"[\x00-\x20\x7f]")


class TooManyLinks(Exception):
    pass


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if href is None:
            return
        if tag == "a":
            self.hrefs.append(href.strip())
        elif tag == "base" and self.base is None:
            self.base = href.strip()


def sheet_links(page: str, page_url: str, pattern: re.Pattern[str]) -> list[str]:
    """The absolute URLs of the page's links that `pattern` finds (re.search)."""
    anchors = _Anchors()
    anchors.feed(page)
    anchors.close()
    base = urljoin(page_url, anchors.base) if anchors.base else page_url
    found: dict[str, None] = {}
    for href in anchors.hrefs:
        url = urldefrag(urljoin(base, _DROPPED.sub("", href))).url
        if urlsplit(url).scheme not in ("http", "https") or not pattern.search(url):
            continue
        url = _ENCODED.sub(lambda m: f"%{ord(m.group()):02X}", url)
        if url not in found:
            found[url] = None
            if len(found) > MAX_LINKS:
                raise TooManyLinks(f"lists more than {MAX_LINKS:,} sheet links that the pattern finds; a narrower "
                                   "`links` pattern lists the sheets alone")
    return list(found)
