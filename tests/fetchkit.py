"""What the fetch tests share (test_fetch*.py): the seed sheets as PDFs, a client polite enough for
a server on 127.0.0.1 and fast enough for tests, and what a fetch leaves behind: the raw folder's
entries (hidden ones too), the fetch ledger's rows and, after a run, the warehouse."""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import replace
from functools import cache
from pathlib import Path

import duckdb
from conftest import RAW, query
from test_pdf import render

from pipelines.core.limits import DEFAULT, Limits
from pipelines.fetch.fetching import FetchSummary, fetch
from pipelines.fetch.polite import Polite
from pipelines.fetch.sources import Sources, from_urls

# One retry, no delay between requests, a hundredth of a second's backoff: a failing URL costs
# at most two timeouts (1 s).
POLITE = Polite(timeout=0.5, retries=1, backoff=0.01, delay=0)
WI, IL = "wisconsin_2023.pdf", "illinois_2023.pdf"
IL_SEED = "illinois_2023.txt"
# One figure of the Wisconsin sheet, in no breakdown's sum: the sheet still passes every check.
OLD_FIGURE, NEW_FIGURE = "reviewed 155 submissions", "reviewed 160 submissions"
IL_FACTS = 20  # the Illinois seed alone: 11 of Illinois, 9 national
BOTH_FACTS = 31  # with Wisconsin's sheet: its 11, the national 9 the same


@cache
def sheet_pdf(seed: str, old: str = "", new: str = "") -> bytes:
    """A seed sheet (raw/NAME.txt) as a PDF, `old` replaced by `new`."""
    text = (RAW / seed).read_text("utf-8")
    assert old in text, old
    return render(text.replace(old, new) if old else text, width=210, size=11, align="L", unicode=False)


def wi_pdf() -> bytes:
    return sheet_pdf("wisconsin_2023.txt")


def wi_changed_pdf() -> bytes:
    return sheet_pdf("wisconsin_2023.txt", OLD_FIGURE, NEW_FIGURE)


def il_pdf() -> bytes:
    return sheet_pdf("illinois_2023.txt")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def raw_folder(tmp_path: Path) -> Path:
    """A raw folder holding the Illinois seed (text) alone: a run over it gives IL_FACTS facts."""
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copyfile(RAW / IL_SEED, raw / IL_SEED)
    return raw


def entries(raw: Path) -> dict[str, bytes | str]:
    """Every entry of the raw folder, hidden ones too: a file's bytes, a link's "-> target"."""
    found: dict[str, bytes | str] = {}
    for name in sorted(os.listdir(raw)):
        path = raw / name
        found[name] = f"-> {os.readlink(path)}" if path.is_symlink() else path.read_bytes()
    return found


def seed_only() -> dict[str, bytes | str]:
    return {IL_SEED: (RAW / IL_SEED).read_bytes()}


def ledger(db: Path) -> list[dict]:
    """The fetch ledger's rows, oldest first (none when the warehouse was never written)."""
    if not db.exists():
        return []
    con = duckdb.connect(str(db), read_only=True)
    try:
        cursor = con.execute("select * from fetches order by fetched_at, url")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def get(raw: Path, db: Path, *urls: str, polite: Polite = POLITE, limits: Limits = DEFAULT,
        sources: Sources | None = None, **kw) -> FetchSummary:
    """One fetch of `urls` (or `sources`) into `raw`, recorded in `db`."""
    return fetch(raw, db, sources or from_urls(list(urls)), limits, polite, **kw)


def headers(request) -> dict[str, str]:
    """A request's headers as the server got them, by lower-case name."""
    return {k.lower(): v for k, v in request.headers.items()}


def limited(pdf_bytes: int) -> Limits:
    return replace(DEFAULT, pdf_bytes=pdf_bytes)


def warehouse(raw: Path, db: Path) -> dict:
    """A run over `raw` into `db`, and what it left: the facts' count, each document's (status,
    sha256), and Wisconsin's figure that the changed sheet changes."""
    from pipelines.orchestration.run import run

    run(raw, db)
    figure = query(db, "select value from facts where geo = 'WI' and year = 2023 and metric = "
                       "'cvip_submissions_reviewed'")
    return {"facts": query(db, "select count(*) from facts")[0][0],
            "documents": {f: (s, h) for f, s, h in query(db, "select source_file, status, sha256 from documents")},
            "wi_figure": figure[0][0] if figure else None}
