"""The data dictionary of an export: markdown made from the metric catalog and the table
declarations (pipelines/tables.py), whose every column has a description for a reader of the
parquet alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


def render(datasets: Sequence[Dataset], load_id: str | None, exported_at: str) -> str:
    lines = [
        "# NCMEC fact-sheet warehouse: data dictionary",
        "",
        f"Exported {exported_at} from the warehouse as of load `{load_id or 'none'}`. "
        "Generated from the metric catalog (`pipelines/catalog.toml`) and the table definitions "
        "(`pipelines/tables.py`); `manifest.json` beside this file lists the same files and counts.",
        "",
        "## Caveats",
        "",
        *(f"- {c}" for c in CAVEATS),
        "",
        "## Files",
        "",
        "| path | one row per | rows | files |",
        "|---|---|---:|---:|",
        *(f"| `{d.path}` | {d.grain} | {d.rows:,} | {d.files:,} |" for d in datasets),
        "",
        "Folders are hive-partitioned by `year` (`facts/year=2023/part-0.parquet`): DuckDB, pandas "
        "(pyarrow) and polars read the folder name back as the `year` column.",
        "",
        "Every fact is traceable: join `facts` to `observations` on "
        "(`source_file`, `geo`, `year`, `metric`) to get its `evidence`.",
    ]
    for d in datasets:
        lines += ["", f"## {d.name}", "", f"`{d.path}`: one row per {d.grain}.", "",
                  "| column | type | description |", "|---|---|---|"]
        for column, type_ in d.columns:
            kind = f"{type_} (partition)" if column == d.partition else type_
            lines.append(f"| `{column}` | {kind} | {markdown_cell(describe(d.name, column))} |")
    lines += ["", "## Metrics", "",
              "Every metric of the catalog, with the sentence (or table row) it comes from. "
              "National metrics have `geo = 'US'`.", "",
              "| metric | scope | program | unit | description | example |",
              "|---|---|---|---|---|---|"]
    for m in catalog.metrics():
        lines.append(f"| `{m.metric}` | {m.scope} | {m.program} | {m.unit} | {markdown_cell(m.description)} "
                     f"| {markdown_cell(m.example.strip())} |")
    lines += ["", "## Qualifiers", "", "| phrase on the sheet | qualifier |", "|---|---|"]
    lines += [f"| {phrase} | `{q}` |" for phrase, q in catalog.load_catalog()[1].items()]
    lines += ["| a scaled figure with no phrase (\"36.2 million\") | `approximate` |",
              "| any other figure | `exact` |", ""]
    return "\n".join(lines)
