"""What `ncmec fetch` asks for: URLs from the command line, or the sources of a sources.toml.

    [[sheet]]                      # one sheet: a PDF
    url = "https://example.org/wisconsin-2023.pdf"
    geo = "WI"                     # optional: the place it must hold, else it is not kept (wrong_sheet)
    year = 2023                    # optional: the year it must hold
    file = "wisconsin_2023.pdf"    # optional: its name in the raw folder (else the URL's last segment)

    [[index]]                      # a page that links to sheets
    url = "https://example.org/state-fact-sheets"
    links = '\\.pdf$'               # a regular expression: each link on the page it finds is a sheet

Everything here is checked before any request: a list with a mistake is refused whole, in one
line that names the entry, and nothing is fetched.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipelines.core.printable import printable, shortened

DEFAULT_SOURCES = "sources.toml"
MAX_NAME = 120  # characters of a file name made from a URL
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SHEET_KEYS = {"url", "geo", "year", "file"}
_INDEX_KEYS = {"url", "links"}


class SourcesError(Exception):
    """The list of sources cannot be used; the message is one line that names the entry."""


@dataclass(frozen=True)
class Sheet:
    """One sheet to fetch into the raw folder as `file`."""

    url: str
    file: str
    geo: str | None = None
    year: int | None = None


@dataclass(frozen=True)
class Index:
    """A page whose links that `links` finds are sheets."""

    url: str
    links: re.Pattern[str]


@dataclass(frozen=True)
class Sources:
    sheets: tuple[Sheet, ...]
    indexes: tuple[Index, ...]

    def __bool__(self) -> bool:
        return bool(self.sheets or self.indexes)


def checked_url(url: object, where: str) -> str:
    """`url` if it is an http(s) URL with a host, else SourcesError."""
    if not isinstance(url, str) or not url.strip():
        raise SourcesError(f"{where}: url must be a text, such as \"https://example.org/sheet.pdf\"")
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # a port that is not a number raises here
    except ValueError:
        raise SourcesError(f"{where}: {shortened(url)} is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourcesError(f"{where}: {shortened(url)} is not an http(s) URL with a host")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise SourcesError(f"{where}: {shortened(url)} has spaces or control characters (encode them as %20)")
    return url


def file_name(url: str) -> str:
    """The raw folder's name for a sheet at `url`: the URL path's last segment (and its query, which
    may be what tells sheets apart: `get.php?id=12`), in letters, digits, dots, dashes and
    underscores, never hidden, ending in .pdf."""
    parts = urlsplit(url)
    segment = unquote(parts.path.rstrip("/").rpartition("/")[2]) + (f"_{unquote(parts.query)}" if parts.query else "")
    name = _UNSAFE.sub("_", segment).strip("._-")[:MAX_NAME] or "sheet"
    return name if name.lower().endswith(".pdf") else f"{name}.pdf"


def checked_file(name: object, where: str) -> str:
    """A `file` given in sources.toml: one plain, visible file name."""
    if not isinstance(name, str) or not name or name != printable(name) or len(name.encode()) > 255:
        raise SourcesError(f"{where}: file must be a file name of printable characters")
    if "/" in name or "\\" in name or name.startswith(".") or name != name.strip():
        raise SourcesError(f"{where}: file {name!r} must be a plain file name in the raw folder (no folder, not "
                           "hidden)")
    return name


def sheet(url: str, where: str = "the command line", file: object = None, geo: object = None,
          year: object = None) -> Sheet:
    """One sheet, checked: its URL, and what sources.toml says it holds."""
    url = checked_url(url, where)
    if geo is not None:
        from pipelines.core import catalog

        try:
            geo = catalog.place_code(geo if isinstance(geo, str) else repr(geo))
        except catalog.UnknownPlace as exc:
            raise SourcesError(f"{where}: geo: {exc}") from None
    if year is not None and (not isinstance(year, int) or isinstance(year, bool) or not 1984 <= year <= 2100):
        raise SourcesError(f"{where}: year must be a whole number such as 2023")
    return Sheet(url, checked_file(file, where) if file is not None else file_name(url), geo, year)


def index(url: str, links: object = None, where: str = "the command line") -> Index:
    if not isinstance(links, str) or not links:
        raise SourcesError(f"{where}: links must be a regular expression, such as '\\.pdf$'")
    try:
        pattern = re.compile(links)
    except re.error as exc:
        raise SourcesError(f"{where}: links {links!r} is not a regular expression: {exc}") from None
    return Index(checked_url(url, where), pattern)


def from_urls(urls: list[str]) -> Sources:
    return Sources(tuple(sheet(u, f"URL {n}") for n, u in enumerate(urls, 1)), ())


def wanted(urls: list[str], path: Path | None, takes_urls: bool = True) -> Sources:
    """What `ncmec fetch` asks for: the URLs given, and what `path` lists (sources.toml when no URL
    is given); SourcesError when that is nothing (`takes_urls`: the command could be given URLs)."""
    if urls and path is None:
        return from_urls(urls)
    listed = read(path or Path(DEFAULT_SOURCES))
    if not listed and not urls:
        raise SourcesError(f"{printable(path or DEFAULT_SOURCES)} lists no sheet: add a [[sheet]] or an [[index]] "
                           "(see the README, Fetching sheets)" + (", or give the URLs" if takes_urls else ""))
    return Sources(from_urls(urls).sheets + listed.sheets, listed.indexes)


def read(path: Path) -> Sources:
    """The sources listed in a sources.toml (the format in this module's docstring)."""
    try:
        with open(path, "rb") as f:
            listed = tomllib.load(f)
    except FileNotFoundError:
        raise SourcesError(f"no sources file at {printable(path)}: list sheets there (see the README, Fetching "
                           "sheets), or give the URLs") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourcesError(f"cannot read {printable(path)}: {getattr(exc, 'strerror', None) or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SourcesError(f"{printable(path)} is not TOML: {exc}") from None
    unknown = set(listed) - {"sheet", "index"}
    if unknown:
        raise SourcesError(f"{printable(path)}: unknown table {sorted(unknown)[0]!r}; sources are [[sheet]] and "
                           "[[index]] entries")
    sheets = tuple(sheet(**_entry(path, "sheet", n, e, _SHEET_KEYS)) for n, e in enumerate(_list(listed, "sheet"), 1))
    indexes = tuple(index(**_entry(path, "index", n, e, _INDEX_KEYS)) for n, e in enumerate(_list(listed, "index"), 1))
    return Sources(sheets, indexes)


def _list(listed: dict, key: str) -> list:
    entries = listed.get(key, [])
    return entries if isinstance(entries, list) else [entries]


def _entry(path: Path, kind: str, n: int, entry: object, keys: set[str]) -> dict:
    where = f"{printable(path)}: [[{kind}]] {n}"
    if not isinstance(entry, dict):
        raise SourcesError(f"{where} is not a table of keys")
    unknown = set(entry) - keys
    if unknown:
        raise SourcesError(f"{where}: unknown key {sorted(unknown)[0]!r} (known: {', '.join(sorted(keys))})")
    if "url" not in entry:
        raise SourcesError(f"{where} has no url")
    return {**entry, "where": where}
