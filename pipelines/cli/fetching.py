"""`ncmec fetch`: sheets from their URLs into the raw folder (pipelines/fetch/). Registered on the app
by commands.py."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pipelines.cli import options
from pipelines.cli.console import err, out
from pipelines.cli.console import fail as _fail
from pipelines.cli.options import DbOption, RawOption
from pipelines.core.limits import DEFAULT as LIMITS
from pipelines.core.limits import size_text
from pipelines.core.printable import printable
from pipelines.fetch.polite import Polite
from pipelines.fetch.sources import DEFAULT_SOURCES

POLITE = Polite()


def fetch(
    urls: Annotated[list[str] | None, typer.Argument(help="Sheet URLs (PDFs); without any, those --sources lists.",
                                                     show_default=False, metavar="URL")] = None,
    sources: Annotated[Path | None, typer.Option("--sources", metavar="FILE", help=(
        f"A list of sheets and index pages (TOML; default: {DEFAULT_SOURCES} when no URL is given)."),
        show_default=False)] = None,
    raw: RawOption = options.DEFAULT_RAW,
    db: DbOption = options.DEFAULT_DB,
    max_pdf_size: Annotated[int, typer.Option(
        "--max-pdf-size", metavar="SIZE", parser=options.size,
        show_default=size_text(LIMITS.pdf_bytes).replace(" ", ""),
        help="A sheet larger than this is not downloaded (too_large), as a run would not read it.")] = LIMITS.pdf_bytes,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, metavar="SECONDS", help=(
        "Wait this long to connect, and between two pieces of an answer."))] = POLITE.timeout,
    retries: Annotated[int, typer.Option("--retries", min=0, max=10, metavar="N", help=(
        "Ask again this many times after a timeout or a 5xx answer (waiting 1, 2, 4 s...)."))] = POLITE.retries,
    delay: Annotated[float, typer.Option("--delay", min=0.0, metavar="SECONDS", help=(
        "Leave this long between two requests to one server."))] = POLITE.delay,
    wait: Annotated[float, typer.Option("--wait", metavar="SECONDS", help=(
        "When a run holds the warehouse, wait up to this long."))] = 0.0,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when any URL failed.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help=(
        "Print the fetch as one JSON object, a row per URL; other lines go to stderr."))] = False,
) -> None:
    """Fetch sheets into --raw: only what changed (conditional requests), each written whole, each URL
    recorded in --db's fetch ledger (`ncmec status` shows the last fetch). `ncmec run` then loads them."""
    from dataclasses import asdict, replace

    from pipelines.core.printable import json_text
    from pipelines.fetch import sources as listing
    from pipelines.fetch.fetching import FetchRefused, describe
    from pipelines.fetch.fetching import fetch as fetch_sheets
    from pipelines.store.lock import LockFileError, WarehouseBusy
    from pipelines.store.warehouse import WarehouseError

    talk = err if as_json else out
    try:
        asked = listing.wanted(urls or [], sources)
    except listing.SourcesError as exc:
        _fail("fetch", str(exc))
    polite = replace(POLITE, timeout=timeout, retries=retries, delay=delay)
    try:
        summary = fetch_sheets(raw, db, asked, replace(LIMITS, pdf_bytes=max_pdf_size),
                               polite, wait, on_row=lambda row: talk.print(describe(row), markup=False,
                                                                            soft_wrap=not talk.is_terminal))
    except (FetchRefused, WarehouseError, WarehouseBusy, LockFileError, OSError) as exc:
        _fail("fetch", str(exc))
    if as_json:
        rows = [{**asdict(r), "fetched_at": r.fetched_at.isoformat()} for r in summary.rows]
        sys.stdout.write(json_text({"fetch_id": summary.fetch_id, "raw": str(raw), "db": str(db), "urls": rows}) + "\n")
    talk.print(summary.line(), markup=False, soft_wrap=not talk.is_terminal)
    if summary.arrived:
        talk.print(f"`ncmec run --raw {printable(raw)}` loads the {len(summary.arrived)} new or changed sheet(s)",
                   markup=False, soft_wrap=not talk.is_terminal)
    if strict and summary.failed:
        err.print(f"ncmec fetch: --strict: {len(summary.failed)} URL(s) failed", markup=False)
        raise typer.Exit(1)
