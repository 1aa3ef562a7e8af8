"""The data dictionary of an export: markdown made from the metric catalog and the table definitions.

Column descriptions come from `tables.sql` (its comments) and, where a comment is missing or too
terse for a reader of the parquet alone, from `COLUMN_NOTES` below. tests/test_export.py fails
when an exported column has no description or a catalog metric is missing, so a column added to
`tables.sql` needs a comment or a note here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from . import catalog

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

# Descriptions for a reader who has only the parquet; a `(table, column)` key wins over a column name.
COLUMN_NOTES: dict[str | tuple[str, str], str] = {
    "geo": "USPS code of the place (`WI`, `DC`, `PR`); `US` for national figures",
    "year": "the sheet's year (hive partition: the folder name `year=YYYY`, read back as a column)",
    "metric": "metric name from the catalog (see Metrics below)",
    "value": "the figure; \"36.2 million\" is stored as 36200000",
    "qualifier": "`exact`, `approximate` (rounded), `at_least` (\"more than\") or `at_most` (\"nearly\")",
    "unit": "the metric's unit (see Metrics below)",
    "source_file": "the input sheet, as a path relative to the raw folder",
    "evidence": "the sentence or table row the value comes from, verbatim",
    "char_start": "offset in the decoded text of the sheet where the evidence starts",
    "char_end": "offset in the decoded text of the sheet where the evidence ends",
    "accepted": "false when a check rejected the value (see rejections)",
    "load_id": "the run that last changed the row (see `ncmec status`)",
    ("facts", "source_file"): "the first (by name) of the sheets that give this value; join "
                              "`observations` on (source_file, geo, year, metric) for the evidence",
    ("facts", "n_sources"): "how many distinct sheets give this value",
    ("observations", "year"): "the year the sentence states (the sheet's year, unless a `year_matches_sheet` "
                              "rejection says otherwise); hive partition, read back as a column",
    ("rejections", "geo"): "the place of the rejected value; null when the whole file is rejected "
                           "and its place is unknown",
    ("rejections", "year"): "the year of the rejected value; null when the whole file is rejected "
                            "and its year is unknown",
    ("rejections", "metric"): "the rejected metric; null when the whole file is rejected",
    ("rejections", "check"): "the check that failed (a name; see the README's Checks)",
    ("rejections", "reason"): "why, in a sentence",
    ("rejections", "evidence"): "the sentence or table row of the rejected value; null for a whole file",
    ("metrics", "scope"): "`state` (each sheet, for its own state) or `national` (`geo = 'US'`)",
    ("metrics", "program"): "the NCMEC program the figure belongs to",
    ("metrics", "description"): "what the figure counts",
    ("metrics", "example"): "a sentence or table row of a real sheet that states it",
    ("geos", "name"): "the place's name",
    ("geos", "kind"): "`state`, `district`, `territory` or `nation`",
    ("geos", "fips"): "FIPS state code; null for the nation",
}


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


@cache
def table_definitions() -> dict[str, dict[str, tuple[str, str]]]:
    """{table: {column: (sql type, comment)}} from `tables.sql`."""
    ddl = resources.files(__package__).joinpath("tables.sql").read_text("utf-8")
    tables: dict[str, dict[str, tuple[str, str]]] = {}
    for table, body in re.findall(r"create table if not exists (\w+) \((.*?)\n\);", ddl, re.S):
        columns = {}
        for line in body.splitlines():
            m = re.match(r'\s*"?(\w+)"?\s+(\w+)[^-]*(?:--\s*(.*))?$', line)
            if m:
                columns[m.group(1)] = (m.group(2), (m.group(3) or "").strip())
        tables[table] = columns
    return tables


def describe(table: str, column: str) -> str:
    note = COLUMN_NOTES.get((table, column)) or COLUMN_NOTES.get(column)
    if note:
        return note
    return table_definitions().get(table, {}).get(column, ("", ""))[1]


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
    tables = [(d, [(column, f"{type_} (partition)" if column == d.partition else type_, describe(d.name, column))
                   for column, type_ in d.columns]) for d in datasets]
    return templates().get_template("dictionary.md.j2").render(
        exported_at=exported_at, load_id=load_id, caveats=CAVEATS, datasets=datasets, tables=tables,
        metrics=catalog.metrics(), qualifiers=catalog.load_catalog()[1].items())
