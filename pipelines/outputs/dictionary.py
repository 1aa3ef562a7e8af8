"""The data dictionary of an export: markdown made from the metric catalog and the table
declarations (pipelines/core/tables.py), whose every column has a description for a reader of the
parquet alone."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from pipelines.core import catalog, registry, tables


@dataclass(frozen=True)
class Dataset:
    """One exported dataset: a parquet file, or a folder of hive partitions."""

    name: str  # the warehouse table it comes from
    path: str  # relative to the export folder
    grain: str  # what one row is
    rows: int
    files: int
    bytes: int
    columns: tuple[tuple[str, str], ...]  # (name, parquet/arrow type), partition column included
    partition: str | None = None


def describe(table: str, column: str) -> str:
    """A column's description, from its declaration (pipelines/core/tables.py)."""
    return tables.TABLES[table].column(column).description


def markdown_cell(text: object) -> str:
    """Text safe inside a markdown table cell (also used by the run artifacts)."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def inline_html(text: str) -> Markup:
    """The `**bold**` and `code` of a caveat as HTML, everything else escaped (the report shows them too)."""
    text = html.escape(text, quote=False)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    return Markup(re.sub(r"`(.+?)`", r"<code>\1</code>", text))


@cache
def templates() -> Environment:
    """The templates of the pages the product writes (`pipelines/outputs/templates/`), for the report too."""
    env = Environment(
        loader=PackageLoader(__package__, "templates"),
        # Matched on the name's end, so "html" alone would leave `report.html.j2` unescaped.
        autoescape=select_autoescape(["html", "html.j2"]),
        undefined=StrictUndefined,  # a misspelt name fails the render instead of printing nothing
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters["md_cell"] = markdown_cell
    env.filters["md_inline"] = inline_html
    return env


def render(datasets: Sequence[Dataset], load_id: str | None, exported_at: str) -> str:
    described = [(d, [(column, f"{type_} (partition)" if column == d.partition else type_, describe(d.name, column))
                      for column, type_ in d.columns]) for d in datasets]
    return templates().get_template("dictionary.md.j2").render(
        exported_at=exported_at, load_id=load_id, caveats=catalog.caveats(), datasets=datasets, tables=described,
        metrics=catalog.metrics(), qualifiers=catalog.load_catalog()[1].items(), checks=registry.CHECKS,
        levels=registry.LEVELS)
