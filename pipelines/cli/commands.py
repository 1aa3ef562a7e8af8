"""The `ncmec` console script: a thin layer over the library and the Prefect flow."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from pipelines.cli import completion, fetching, ledger, options
from pipelines.cli import server as cli_server
from pipelines.cli.console import err, out
from pipelines.cli.console import fail as _fail
from pipelines.cli.options import DbOption, Format, PdfSizeOption, RawOption, Runner, TextSizeOption
from pipelines.core.limits import DEFAULT as LIMITS
from pipelines.core.printable import first_line, printable
from pipelines.fetch.sources import DEFAULT_SOURCES

app = typer.Typer(
    help="NCMEC state fact sheets into a validated, traceable DuckDB warehouse.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: an option's name is never cut in a narrow terminal (Rich's boxes cut it)
)
app.add_typer(cli_server.app, name="server")


def _version(asked: bool) -> None:
    if asked:
        from importlib.metadata import version

        out.print(f"ncmec {version('ncmec-warehouse')}", markup=False)
        raise typer.Exit


@app.callback()
def _options(version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_version,
                                                   help="Print the version and exit.")] = False) -> None:
    """NCMEC state fact sheets into a validated, traceable DuckDB warehouse."""


@app.command()
def run(
    raw: RawOption = options.DEFAULT_RAW,
    db: DbOption = options.DEFAULT_DB,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when anything was rejected.")] = False,
    wait: Annotated[float, typer.Option("--wait", metavar="SECONDS",
                                        help="When another run holds the warehouse, wait up to this long.")] = 0.0,
    task_runner: Annotated[Runner, typer.Option(
        "--task-runner", help="Where parse batches run: a local process pool, or Dask.")] = Runner.process,
    dask_address: Annotated[str | None, typer.Option("--dask-address", metavar="ADDRESS", help=(
        "A running Dask scheduler (tcp://host:8786); without it --task-runner dask starts a local cluster."))] = None,
    workers: Annotated[int, typer.Option("--workers", min=0, help="Parse workers (0: one per core).")] = 0,
    prune: Annotated[bool, typer.Option("--prune", help=(
        "Let the run remove every fact when the raw folder gives none (else it refuses)."))] = False,
    max_text_size: TextSizeOption = LIMITS.text_bytes,
    max_pdf_size: PdfSizeOption = LIMITS.pdf_bytes,
    as_json: Annotated[bool, typer.Option("--json", help=(
        "Print the summary as one JSON object, with the open rejections; other lines go to stderr."))] = False,
) -> None:
    """Run the flow once: parse every file under --raw, validate, load into --db."""
    if dask_address and task_runner is not Runner.dask:
        _fail("run", "--dask-address needs --task-runner dask")
    if task_runner is Runner.dask and importlib.util.find_spec("prefect_dask") is None:
        _fail("run", "--task-runner dask needs the dask extra: pip install 'ncmec-warehouse[dask]' (in a clone: "
                     ".venv/bin/pip install -e '.[dask]')")
    from pipelines.core.printable import json_text
    from pipelines.orchestration.run import RunRefused, preflight
    from pipelines.outputs import terminal
    from pipelines.outputs.status import run_json
    from pipelines.store.lock import LockFileError, WarehouseBusy
    from pipelines.store.warehouse import WarehouseError

    try:
        preflight(raw, db, wait, prune)  # before Prefect starts (seconds): a refusal comes at once
        from flows import warehouse_flow  # imports Prefect: keep it off the other commands' path
        from pipelines.orchestration.server import configured

        with configured() as using:
            (err if as_json else out).print(using, markup=False, soft_wrap=True)
            summary = warehouse_flow(raw=str(raw), db=str(db), wait=wait, workers=workers,
                                     task_runner=task_runner.value, dask_address=dask_address, prune=prune,
                                     max_text_size=max_text_size, max_pdf_size=max_pdf_size)
        shown = run_json(summary, db) if as_json else None  # the open rejections, read back
    except (WarehouseError, WarehouseBusy, LockFileError, RunRefused, OSError, ValueError) as exc:
        _fail("run", str(exc))
    except Exception as exc:  # any other failure: one line, non-zero
        _fail("run", f"{type(exc).__name__}: {first_line(exc)}")
    if shown is not None:
        sys.stdout.write(json_text(shown) + "\n")
    else:
        terminal.print_summary(out, summary)
    if strict and summary.stats.rejections:
        err.print(f"ncmec run: --strict: {summary.stats.rejections} rejection(s)", markup=False)
        raise typer.Exit(1)


@app.command()
def serve(
    raw: RawOption = options.DEFAULT_RAW,
    db: DbOption = options.DEFAULT_DB,
    cron: Annotated[str, typer.Option("--cron", help="When to run, as a cron expression.")] = "0 6 * * 1",
    tz: Annotated[str, typer.Option("--timezone", help="The time zone of --cron (IANA name).")] = "UTC",
    name: Annotated[str, typer.Option("--name", help="The deployment's name in Prefect.")] = "weekly",
    fetch: Annotated[bool, typer.Option("--fetch", help=(
        "Each run fetches what --sources lists into --raw first (as `ncmec fetch`), then loads."))] = False,
    sources: Annotated[Path, typer.Option("--sources", metavar="FILE", help=(
        "With --fetch: the list of sheets and index pages, read again at each run."))] = Path(DEFAULT_SOURCES),
) -> None:
    """Serve the flow on a schedule, until stopped (Ctrl-C), on the Prefect server `ncmec run` uses:
    PREFECT_API_URL's if set, else this folder's `ncmec server` (a temporary one would vanish)."""
    if not raw.is_dir():
        _fail("serve", f"the raw folder {raw} does not exist")
    if fetch:
        from pipelines.fetch import sources as listing

        try:
            listing.wanted([], sources, takes_urls=False)  # read again by each run; a mistake now is refused now
        except listing.SourcesError as exc:
            _fail("serve", str(exc))
    if not db.parent.is_dir():
        _fail("serve", f"the warehouse folder {db.parent} does not exist (create it, or pass --db)")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        _fail("serve", f"unknown time zone {tz!r}: use an IANA name such as UTC or America/Chicago")
    from prefect.settings import PREFECT_API_URL

    from pipelines.orchestration import holder, lifetime
    from pipelines.orchestration.server import configured, home_dir

    with configured(temporary=False) as using:
        if not PREFECT_API_URL.value():
            _fail("serve", holder.no_server(home_dir()))
        from flows import deployment

        try:
            scheduled = deployment(name, cron, tz, str(raw), str(db), str(sources) if fetch else None)
        except ValueError as exc:  # a bad --cron
            _fail("serve", str(exc).splitlines()[0])
        out.print(using, markup=False, soft_wrap=True)
        out.print(f"serving {scheduled.flow_name}/{name} on {cron} ({tz}) against {PREFECT_API_URL.value()}; "
                  "Ctrl-C stops", markup=False, soft_wrap=True)
        lifetime.serve(scheduled)


@app.command()
def parse(file: Annotated[Path, typer.Argument(help="One sheet.", exists=False)],
          max_text_size: TextSizeOption = LIMITS.text_bytes, max_pdf_size: PdfSizeOption = LIMITS.pdf_bytes) -> None:
    """Print the observations of one file as JSON lines; touches no database. Values the file
    states but that cannot be read for certain are named on stderr."""
    from dataclasses import asdict

    from pipelines.core import figures
    from pipelines.core.limits import Limits
    from pipelines.extract.intake import parse_path

    if not file.exists():
        _fail("parse", f"{file} is not a file (it does not exist)")
    doc = parse_path(file, Limits(text_bytes=max_text_size, pdf_bytes=max_pdf_size))
    if doc.rejected:
        _fail("parse", f"{file} rejected ({doc.rejected_check}): {doc.rejected_reason}", 1)
    for o in doc.observations:
        row = {"source_file": doc.source_file, **asdict(o)}
        row["value"] = figures.number(row["value"])
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    # A value the text states but that cannot be read for certain is no observation: say so.
    for p in doc.problems:
        sys.stderr.write(f"not read: {p.geo} {p.year} {p.metric} ({p.check}): {p.reason}\n")


@app.command()
def query(
    sql: Annotated[str | None, typer.Argument(help="Read-only SQL: one statement or several; - reads standard input.",
                                              show_default=False)] = None,
    db: DbOption = options.DEFAULT_DB,
    fmt: Annotated[Format | None, typer.Option("--format", help="Output format (default: a table, or by --out's "
                                                                  "extension).", show_default=False)] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the result to this file (.csv, .json as "
                                                  "JSON lines, .md, .parquet).", show_default=False)] = None,
    file: Annotated[Path | None, typer.Option("-f", "--file", help="Read the SQL from this file (- for standard "
                                              "input).", show_default=False)] = None,
    allow_read: Annotated[list[Path] | None, typer.Option("--allow-read", metavar="DIR", help=(
        "Let the SQL read files under DIR (repeatable); it never writes one."), show_default=False)] = None,
) -> None:
    """Run read-only SQL against the warehouse, in a sandbox: a statement that writes, attaches,
    reads a file outside --allow-read folders or changes a setting is refused before anything runs."""
    from pipelines.outputs.query import QueryError, read_sql
    from pipelines.outputs.query import run as run_query

    try:
        text = read_sql(sql, file, sys.stdin)
        run_query(db, text, fmt.value if fmt else None, out_file, allow_read or [], out)
    except QueryError as exc:
        _fail("query", str(exc), exc.code)


@app.command()
def export(
    db: DbOption = options.DEFAULT_DB,
    out_dir: Annotated[Path, typer.Option("--out", help="The export folder (replaced whole).")] = Path("exports"),
) -> None:
    """Write parquet for analysts (facts and observations by year, metrics, geos, rejections) and a data dictionary."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pipelines.outputs import terminal
    from pipelines.outputs.atomic import OutputError
    from pipelines.outputs.export import ExportError, check_target
    from pipelines.outputs.export import export as export_warehouse
    from pipelines.store.warehouse import WarehouseError

    columns = (TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        check_target(db, out_dir)  # before the progress bar: a refusal is then the only line
        with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
            task = progress.add_task("exporting", total=None)
            done = 0

            def step(label: str) -> None:
                nonlocal done
                progress.update(task, description=label, completed=done)
                done += 1

            summary = export_warehouse(db, out_dir, on_start=lambda n: progress.update(task, total=n), on_step=step)
    except (ExportError, OutputError, WarehouseError, OSError) as exc:
        _fail("export", str(exc))
    terminal.print_export(out, summary)


@app.command()
def report(
    db: DbOption = options.DEFAULT_DB,
    out_file: Annotated[Path, typer.Option("--out", help="The HTML file to write.")] = Path("report.html"),
) -> None:
    """Write one self-contained HTML page: each state metric ranked and by year, national figures, the
    breakdown, a section per place with each value's evidence, and the rejections."""
    from pipelines.outputs.atomic import OutputError
    from pipelines.outputs.report import ReportError, write
    from pipelines.store.warehouse import WarehouseError

    try:
        with err.status("building the report"):
            summary = write(db, out_file)
    except (ReportError, OutputError, WarehouseError, OSError) as exc:
        _fail("report", str(exc))
    out.print(printable(f"wrote {summary.out}: {summary.charts} charts, {summary.rejections} rejection(s), "
                        f"{summary.bytes:,} bytes; it needs no network to view"), markup=False, soft_wrap=True)


for command in (fetching.fetch, ledger.status, ledger.explain, completion.completion):  # after report, in --help too
    app.command()(command)

if __name__ == "__main__":
    app()
