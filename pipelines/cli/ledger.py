"""`ncmec status` and `ncmec explain`: what the warehouse holds and where one of its numbers comes from,
each as text or as one JSON object. Registered on the app by commands.py."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from pipelines.cli import completion, options
from pipelines.cli.console import fail as _fail
from pipelines.cli.console import out
from pipelines.cli.options import DbOption


def status(
    db: DbOption = options.DEFAULT_DB,
    runs: Annotated[int, typer.Option("--runs", min=1, help="How many recent runs to list.")] = 5,
    limit: Annotated[int, typer.Option("--limit", min=0, help="How many open rejections to list.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help=(
        "Print it as one JSON object, with every open rejection (--limit aside)."))] = False,
) -> None:
    """Show the load ledger: the last runs, what the warehouse holds, and the open rejections."""
    from pipelines.core.printable import json_text
    from pipelines.outputs import status as ledger
    from pipelines.store.warehouse import WarehouseError

    try:
        state = ledger.gather(db, runs=runs)
    except WarehouseError as exc:
        _fail("status", str(exc))
    if as_json:
        sys.stdout.write(json_text(ledger.as_json(state)) + "\n")
        return
    ledger.render(state, out, limit=limit)


def explain(
    geo: Annotated[str, typer.Argument(help="The place: a USPS code (WI, DC, US) or a name (wisconsin).",
                                       autocompletion=completion.places)],
    year: Annotated[int, typer.Argument(help="The sheet's year.")],
    metric: Annotated[str, typer.Argument(help="A metric of the catalog (ncmec query \"select * from metrics\").",
                                          autocompletion=completion.metrics)],
    db: DbOption = options.DEFAULT_DB,
    as_json: Annotated[bool, typer.Option("--json", help="Print the explanation as one JSON object.")] = False,
) -> None:
    """Where a number comes from: the fact, every document that states it with its sentence, the
    checks it passed, rejections of the same key, its history, and the national figure."""
    from pipelines.core.printable import json_text
    from pipelines.outputs import explain as explaining
    from pipelines.outputs import explain_text, terminal
    from pipelines.store.warehouse import WarehouseError, connect, require_warehouse

    try:
        con = connect(db, read_only=True)
    except WarehouseError as exc:
        _fail("explain", str(exc))
    try:
        require_warehouse(con, db)
        e = explaining.explain(con, geo, year, metric)
    except WarehouseError as exc:
        _fail("explain", str(exc))
    except explaining.UnknownKey as exc:
        _fail("explain", str(exc), 1)
    finally:
        con.close()
    if as_json:
        sys.stdout.write(json_text(explain_text.as_json(e)) + "\n")
        return
    terminal.print_explanation(out, explain_text.as_text(e))
