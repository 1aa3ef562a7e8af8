"""The data dictionary of an export: markdown made from the metric catalog and the table
declarations (pipelines/tables.py), whose every column has a description for a reader of the
parquet alone."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from . import catalog, tables

# What every user of these numbers must know before comparing or adding them up.
CAVEATS = (
    "**Reports are not victims.** `cybertipline_reports_to_law_enforcement` counts CyberTipline "
    "reports made available to law enforcement in a state. One child can be in many reports and one "
    "report can concern many children: it is not a count of victims or incidents.",
    "**The CVIP total is cumulative.** `cvip_children_identified_cumulative` is a running total of "
    "children identified since the program began, not one year's count. Do not add it across years; "
    "its change from one year to the next is the children identified in between.",
    "**National figures repeat on every sheet.** Each state's sheet restates the national figures "
    "of its year. The warehouse keeps them once, as `geo = 'US'`: never add them up across sheets or "
    "states, and never add state rows to get a national figure.",
    "**Three metric names have both scopes.** `missing_child_cases`, `missing_from_social_services` "
    "and `team_hope_families_supported` exist for states and for the nation (`geo = 'US'`). The "
    "national `missing_from_social_services` counts children who ran away from a social services "
    "facility; the state figure is the \"missing from social services\" row of the state's table.",
    "**Rounded and bounded figures.** `qualifier` says how exact a value is: `approximate` "
    "(\"36.2 million\" is stored as 36200000), `at_least` (\"more than\"), `at_most` (\"nearly\"). "
    "A difference between such values is only as good as the values.",
    "**Absent means not stated.** A metric a sheet does not state has no row: never a 0, never a guess.",
    "**Only checked values are facts.** `facts` holds values that passed every check; values that "
    "failed are in `observations` with `accepted = false`, and why is in `rejections`.",
)

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
    """A column's description, from its declaration (pipelines/tables.py)."""
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
    """The templates of the pages the product writes (`pipelines/templates/`), for the report too."""
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
        exported_at=exported_at, load_id=load_id, caveats=CAVEATS, datasets=datasets, tables=described,
        metrics=catalog.metrics(), qualifiers=catalog.load_catalog()[1].items())
