"""The console script's shared options and choices (pipelines/cli/commands.py): declared once, each with
its help, so that every command that takes one takes it the same way."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from pipelines.core import locations
from pipelines.core.limits import DEFAULT, parse_size, size_text

# The flag, else the environment variable, else the default (each command's `= DEFAULT_DB`).
RawOption = Annotated[Path, typer.Option("--raw", envvar=locations.RAW_ENV, show_envvar=True,
                                         help="Folder of input sheets.")]
DbOption = Annotated[Path, typer.Option("--db", envvar=locations.DB_ENV, show_envvar=True,
                                        help="The DuckDB warehouse file.")]
DEFAULT_RAW = Path(locations.DEFAULT_RAW)
DEFAULT_DB = Path(locations.DEFAULT_DB)


def size(text: str | int) -> int:
    if isinstance(text, int):  # the default, which typer passes through the parser too
        return text
    try:
        return parse_size(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


TextSizeOption = Annotated[int, typer.Option(
    "--max-text-size", metavar="SIZE", parser=size, show_default=size_text(DEFAULT.text_bytes).replace(" ", ""),
    help="A text file larger than this is rejected (too_large) unread: 4MiB, 500KB, bytes.")]
PdfSizeOption = Annotated[int, typer.Option(
    "--max-pdf-size", metavar="SIZE", parser=size, show_default=size_text(DEFAULT.pdf_bytes).replace(" ", ""),
    help="A PDF larger than this is rejected (too_large) unread.")]


class Runner(enum.StrEnum):
    process = "process"
    dask = "dask"


class Format(enum.StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    md = "md"
    parquet = "parquet"
