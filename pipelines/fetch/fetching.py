"""`ncmec fetch`: each source's sheet into the raw folder, and a row for it in the fetch ledger.

    summary = fetch(raw, db, sources)            # what `ncmec fetch` and the fetch-then-load flow call

A fetch holds the warehouse's writer lock (a run reads the raw folder and writes the warehouse;
the fetch writes both), asks each URL in turn (pipelines/fetch/client.py), and for each:

  * sends back the last answer's ETag and Last-Modified when the file it wrote is still there,
    byte for byte, so that an unchanged sheet is one small request answered 304;
  * keeps a PDF only (a web page, or any other type, is `not_a_pdf`), of the place and year
    sources.toml says it holds when it says so (`wrong_sheet`);
  * writes it atomically (rawfiles.py) only when its bytes changed, and never over a file that no
    fetch of this URL wrote (`name_taken`): the previous sheet stays in the warehouse's
    `documents` until the next run, which records what its revision changed in `fact_changes`.

A URL that fails is a row with its check and reason; the others go on. The rows are written in
one transaction when the requests are done, or stopped (a Ctrl-C keeps what was fetched).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipelines.core.limits import DEFAULT, Limits, size_text
from pipelines.core.printable import printable
from pipelines.fetch import links, rawfiles
from pipelines.fetch.client import Answer, Client, Failed
from pipelines.fetch.polite import Polite
from pipelines.fetch.sources import Index, Sheet, Sources, SourcesError, sheet
from pipelines.store import fetches
from pipelines.store.fetches import Kept, Row
from pipelines.store.lock import run_lock

PDF_TYPES = {"", "application/pdf", "application/x-pdf", "application/octet-stream", "binary/octet-stream",
             "application/download", "application/force-download"}
PAGE_TYPES = {"text/html", "application/xhtml+xml"}


class FetchRefused(Exception):
    """The fetch does not start (its folders are missing); the message says which."""


@dataclass
class FetchSummary:
    fetch_id: str
    raw: Path
    rows: list[Row] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.rows)

    @property
    def arrived(self) -> list[Row]:
        """The sheets this fetch wrote: new files, and files replaced by a changed sheet."""
        return [r for r in self.rows if r.status in ("new", "changed")]

    @property
    def failed(self) -> list[Row]:
        return [r for r in self.rows if r.status == "failed"]

    def line(self) -> str:
        """One line: how many sources, and how each went."""
        sheets = [r for r in self.rows if r.kind == "sheet"]
        counts = ", ".join(f"{self.count(s)} {s}" for s in ("new", "changed", "unchanged", "failed"))
        return f"fetch {self.fetch_id}: {len(sheets)} sheet URL(s) into {printable(self.raw)}: {counts}"


@dataclass
class _Fetch:
    """One fetch's state: the ledger's last answers, the files claimed by this fetch, and the raw folder."""

    fetch_id: str
    dir_fd: int
    client: Client
    limits: Limits
    kept: dict[str, Kept]
    owners: dict[str, str]  # file -> the URL that last wrote it
    claimed: dict[str, str] = field(default_factory=dict)  # file -> URL, this fetch


def new_fetch_id() -> str:
    from pipelines.store.load import new_load_id  # the same form: sortable by time, unique

    return new_load_id()


def fetch(raw: Path, db: Path, sources: Sources, limits: Limits = DEFAULT, polite: Polite | None = None,
          wait: float = 0.0, on_row: Callable[[Row], None] | None = None,
          client: Client | None = None) -> FetchSummary:
    """Fetch every source into `raw`, recording each URL in `db`'s fetch ledger."""
    if not Path(raw).is_dir():
        raise FetchRefused(f"the raw folder {printable(raw)} does not exist")
    if not Path(db).parent.is_dir():
        raise FetchRefused(f"the warehouse folder {printable(Path(db).parent)} does not exist (create it, or pass "
                           "--db)")
    summary = FetchSummary(new_fetch_id(), Path(raw))
    with run_lock(Path(db), wait=wait), rawfiles.folder(str(raw)) as dir_fd, \
            client or Client(polite or Polite()) as http:
        rawfiles.remove_leftovers(dir_fd)
        state = _Fetch(summary.fetch_id, dir_fd, http, limits, *fetches.kept(Path(db)))
        try:
            for row in _rows(state, sources):
                summary.rows.append(row)
                if on_row:
                    on_row(row)
        finally:
            fetches.record(Path(db), summary.rows)
    return summary


def _rows(state: _Fetch, sources: Sources) -> Iterator[Row]:
    """The listed sheets, then each index page and the sheets it links to; each URL once."""
    asked: set[str] = set()
    for listed in sources.sheets:
        if listed.url not in asked:
            asked.add(listed.url)
            yield _sheet(state, listed)
    for page in sources.indexes:
        row, found = _index(state, page)
        yield row
        for url in found:
            if url not in asked:
                asked.add(url)
                yield _link(state, page, url)


def _link(state: _Fetch, page: Index, url: str) -> Row:
    """A sheet an index page links to; a link that is no URL to ask (a port that is no number)
    fails alone, as any other URL does, and the page's other links are still fetched."""
    try:
        wanted = sheet(url, f"a link of {page.url}")
    except SourcesError as exc:
        return _failed(state, url, "sheet", Failed("unreachable", str(exc)))
    return _sheet(state, wanted)


def _row(state: _Fetch, url: str, kind: str, status: str, answer: Answer | None = None, **kw: object) -> Row:
    values: dict = dict(http_status=answer.status if answer else None,
                        final_url=answer.url if answer and answer.url != url else None,
                        source_file=None, etag=answer.etag if answer else None,
                        last_modified=answer.last_modified if answer else None,
                        sha256=None, n_bytes=len(answer.body) if answer and answer.status == 200 else None,
                        check=None, error=None)
    values.update(kw)
    return Row(state.fetch_id, url, kind, status, fetched_at=datetime.now(UTC), **values)


def _failed(state: _Fetch, url: str, kind: str, failure: Failed, source_file: str | None = None) -> Row:
    return _row(state, url, kind, "failed", http_status=failure.http_status, source_file=source_file,
                check=failure.check, error=failure.reason)


def _index(state: _Fetch, page: Index) -> tuple[Row, list[str]]:
    try:
        answer = state.client.get(page.url, state.limits.text_bytes)
        return _row(state, page.url, "index", "listed", answer), _listed(answer, page)
    except Failed as failure:
        return _failed(state, page.url, "index", failure), []


def _listed(answer: Answer, page: Index) -> list[str]:
    """The sheet links of an index page's answer, or `Failed`."""
    kind = answer.media_type
    if kind not in PAGE_TYPES:
        raise Failed("not_a_page", f"answered {kind or 'no content type'}, not a web page that lists sheets",
                     answer.status)
    try:
        found = links.sheet_links(answer.body.decode("utf-8", "replace"), answer.url, page.links)
    except links.TooManyLinks as exc:
        raise Failed("too_many_links", str(exc), answer.status) from None
    if not found:
        raise Failed("no_links", f"lists no link that the pattern {page.links.pattern!r} finds", answer.status)
    return found


def _sheet(state: _Fetch, wanted: Sheet) -> Row:
    try:
        return _fetch_sheet(state, wanted)
    except Failed as failure:
        return _failed(state, wanted.url, "sheet", failure, wanted.file)
    except OSError as exc:  # the raw folder's file: its permissions, a full disk
        why = Failed("unwritable", f"{printable(wanted.file)} cannot be read or written in the raw folder: "
                     f"{exc.strerror or exc}")
        return _failed(state, wanted.url, "sheet", why, wanted.file)


def _fetch_sheet(state: _Fetch, wanted: Sheet) -> Row:
    name, url = wanted.file, wanted.url
    try:
        have = rawfiles.digest(state.dir_fd, name, state.limits.pdf_bytes)
    except rawfiles.NotReplaceable as exc:
        raise Failed("name_taken", f"{printable(name)} in the raw folder {exc}") from None
    # Whose the file is: this fetch's, else (while it is there) the address whose fetch last wrote it.
    owner = state.claimed.get(name) or (state.owners.get(name) if have is not None else None)
    if owner is not None and owner != url:
        raise Failed("name_taken", f"would replace {printable(name)}, which holds the sheet of {printable(owner)}; "
                     "remove the file if that address is gone, or give this source its own `file` in sources.toml")
    prior = state.kept.get(url)
    same = prior if prior is not None and prior.source_file == name and prior.sha256 == have else None
    answer = state.client.get(url, state.limits.pdf_bytes, same.etag if same else None,
                              same.last_modified if same else None)
    state.claimed[name] = url
    if answer.status == 304:
        if same is None:
            raise Failed("refused", "answered 304 Not Modified to a request that was not conditional", 304)
        return _row(state, url, "sheet", "unchanged", answer, source_file=name, sha256=same.sha256,
                    etag=answer.etag or same.etag, last_modified=answer.last_modified or same.last_modified)
    _check_pdf(answer)
    _check_holds(wanted, answer.body)
    sha = hashlib.sha256(answer.body).hexdigest()
    if sha != have:
        if have is not None and owner is None:
            raise Failed("name_taken", f"{printable(name)} is in the raw folder already, and no fetch of this URL "
                         "wrote it; remove or rename it, or give this source another `file`", 200)
        rawfiles.replace(state.dir_fd, name, answer.body)
    status = "unchanged" if sha == have else "new" if have is None else "changed"
    return _row(state, url, "sheet", status, answer, source_file=name, sha256=sha)


def _check_pdf(answer: Answer) -> None:
    kind = answer.media_type
    if kind not in PDF_TYPES or not answer.body.startswith(b"%PDF"):
        what = "a web page" if kind in PAGE_TYPES else kind or "no content type"
        raise Failed("not_a_pdf", f"answered {what} ({size_text(len(answer.body))}), not a PDF, so nothing is kept",
                     answer.status)


def _check_holds(wanted: Sheet, data: bytes) -> None:
    """A sheet of the place and year sources.toml says, when it says (a sheet that cannot be read
    is kept: the run rejects it, with its reason)."""
    if wanted.geo is None and wanted.year is None:
        return
    from pipelines.extract.sheet import parse_bytes

    doc = parse_bytes(data, wanted.file)
    if doc.rejected or doc.geo is None:
        return
    if (wanted.geo or doc.geo) != doc.geo or (wanted.year or doc.year) != doc.year:
        raise Failed("wrong_sheet", f"holds the sheet of {doc.geo} {doc.year}, not of "
                     f"{wanted.geo or doc.geo} {wanted.year or doc.year} as sources.toml says, so it is not kept", 200)


def describe(row: Row) -> str:
    """A row as one line for people: what came of the URL, and for a failure why."""
    if row.status == "failed":
        return printable(f"failed ({row.check}): {row.url}: {row.error}")
    if row.kind == "index":
        return printable(f"listed: {row.url}")
    size = f", {size_text(row.n_bytes)}" if row.n_bytes is not None else ""
    return printable(f"{row.status}: {row.source_file} ({row.http_status}{size}) from {row.url}")
