"""The warehouse's tables, each declared once (DESIGN.md, Tables).

Everything else derives from these declarations: the DDL (with each column's description as a
`COMMENT ON COLUMN`, so `duckdb_columns()` shows it to SQL users), the pandera models (schemas.py,
which adds the named checks), the Arrow schemas of the staged parquet (staging.py), the data
dictionary of an export (dictionary.py), and the frames the checks build (checks.py). A new
column is one line here, and a numbered migration (pipelines/store/migrations/) for warehouses
that already exist. A figure is staged as read, one exact DOUBLE, and written to the warehouse in
two columns (pipelines/core/figures.py): a table's `staged()` form is what the stages before the
load make. Declared in Python, not SQL: the checks and the descriptions sit beside each type, and
no stage needs a database to learn a table's columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from pipelines.core import catalog
from pipelines.core.figures import FIGURE, percent, whole

# pyarrow and pandas (half a second of imports) only where a schema or a dtype is asked for: the
# DDL is all that a run over unchanged inputs, or `ncmec status`, needs of this module.
if TYPE_CHECKING:
    import pyarrow as pa


@cache
def _types() -> dict[str, tuple[pa.DataType, Any, Any]]:
    """DuckDB type -> (Arrow type, pandas dtype when nullable or not)."""
    import pandas as pd
    import pyarrow as pa

    return {
        "varchar": (pa.string(), str, str),
        "integer": (pa.int32(), int, pd.Int64Dtype),
        "bigint": (pa.int64(), int, pd.Int64Dtype),
        "double": (pa.float64(), float, float),
        "boolean": (pa.bool_(), bool, pd.BooleanDtype),
        "timestamptz": (pa.timestamp("us", tz="UTC"), pd.DatetimeTZDtype("ns", "UTC"), pd.DatetimeTZDtype("ns", "UTC")),
    }


def duckdb_type(type_: str) -> str:
    """A declared type as `duckdb_columns()` names it."""
    return {"timestamptz": "TIMESTAMP WITH TIME ZONE"}.get(type_, type_.upper())


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB's
    description: str  # for a reader who has only this column: the dictionary and COMMENT ON
    nullable: bool = False
    checks: dict[str, Any] = field(default_factory=dict)  # pandera Field arguments (isin, ge, unique)
    # SQL over the staged row that the load writes this column as (pipelines/store/load.py), for a
    # column the pipeline does not stage as declared: the figure's two columns, and the scope.
    written: str | None = None

    @property
    def sql_name(self) -> str:
        return f'"{self.name}"' if self.name in ("check",) else self.name

    def dtype(self) -> Any:
        return _types()[self.type][2 if self.nullable else 1]

    def arrow(self) -> pa.Field:
        import pyarrow as pa

        return pa.field(self.name, _types()[self.type][0], nullable=True)


@dataclass(frozen=True)
class Table:
    name: str
    grain: str  # what one row is
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def ddl(self) -> str:
        cols = ",\n".join(f"    {c.sql_name} {c.type}{'' if c.nullable else ' not null'}" for c in self.columns)
        comments = "".join(f"\ncomment on column {self.name}.{c.sql_name} is "
                           f"'{c.description.replace(chr(39), chr(39) * 2)}';"
                           for c in self.columns)
        return f"create table if not exists {self.name} (\n{cols}\n);{comments}"

    def staged(self) -> Table:
        """The table as the pipeline stages and checks it: the figure as read, one exact DOUBLE
        `value`, and none of the other columns the load writes from it."""
        staged = tuple(replace(c, type="double", nullable=False, written=None) if c.name == FIGURE else c
                       for c in self.columns if c.written is None or c.name == FIGURE)
        return Table(self.name, self.grain, staged)

    def write_sql(self) -> str:
        """The SELECT list that makes a staged row (`staged()`) the table's row: the one place where
        a figure is split in two and the scope is written."""
        return ", ".join(f"{c.written} as {c.sql_name}" if c.written else c.sql_name for c in self.columns)

    def arrow_schema(self, extra: tuple[pa.Field, ...] = ()) -> pa.Schema:
        import pyarrow as pa

        return pa.schema([c.arrow() for c in self.columns] + list(extra))


def _col(name: str, type_: str, description: str, nullable: bool = False, **checks: Any) -> Column:
    return Column(name, type_, description, nullable, checks)


def figure_columns(value_description: str, **checks: Any) -> tuple[Column, Column]:
    """A figure's two columns, written from the staged `value` (to which `checks` apply)."""
    return (Column(FIGURE, "bigint", value_description, True, checks, written=whole(FIGURE)),
            Column("percent", "double", PERCENT, True, written=percent(FIGURE, "unit")))


# The same rule as catalog.scope_of, in SQL over the staged row's geo.
SCOPE = Column("scope", "varchar", "`state` (a state's, DC's or a territory's figure) or `national` (`geo = "
               f"'{catalog.NATION}'`): join `metrics` on (metric, scope), since a metric name may be of both scopes",
               checks={"isin": list(catalog.SCOPES)},
               written=f"case when geo = '{catalog.NATION}' then 'national' else 'state' end")
VALUE = ("the figure as a whole number: every count, and a percentage when it is whole (19%); null only for a "
         "percentage with decimals (see `percent`). \"36.2 million\" is stored as 36200000")
PERCENT = ("a percentage's figure with its decimals (19.5); null for counts. The exact figure of any row is "
           "`coalesce(percent, value)`")
GEO = "USPS code of the place (`WI`, `DC`, `PR`); `US` for national figures"
YEAR = "the sheet's year (hive partition: the folder name `year=YYYY`, read back as a column)"
METRIC = "metric name from the catalog (see Metrics below)"
QUALIFIER = "`exact`, `approximate` (rounded), `at_least` (\"more than\") or `at_most` (\"nearly\")"
SOURCE_FILE = "the input sheet, as a path relative to the raw folder"
LOAD_ID = "the run that last changed the row (see `ncmec status`)"
EVIDENCE = "the sentence or table row the value comes from, verbatim"
UNIT = "the metric's unit (see Metrics below)"

DOCUMENTS = Table("documents", "distinct input content", (
    _col("source_file", "varchar", SOURCE_FILE, unique=True),
    _col("sha256", "varchar", "SHA-256 of the file's bytes", str_length={"min_value": 64, "max_value": 64}),
    _col("n_bytes", "bigint", "the file's size in bytes", ge=0),
    _col("encoding", "varchar", "how the file was decoded (`utf-8`, `cp1252`, `pdf`, ...)", True),
    _col("geo", "varchar", GEO, True),
    _col("year", "integer", "the sheet's year, from its sentences", True),
    _col("status", "varchar", "`loaded`, `duplicate` (of a byte-identical file), `rejected`, or `removed` "
         "(gone from the raw folder)", isin=["loaded", "duplicate", "rejected", "removed"]),
    _col("rejected_check", "varchar", "for a rejected file: the check that rejected it", True),
    _col("reason", "varchar", "for a rejected file: why, in a sentence", True),
    _col("n_observations", "integer", "how many values the file states", ge=0),
    _col("text", "varchar", "the decoded text that char_start/char_end point into; null for a duplicate "
         "(its original's row, same sha256, holds it)", True),
    _col("parser", "varchar", "fingerprint of the extractor that parsed it", True),
    _col("load_id", "varchar", LOAD_ID),
))

OBSERVATIONS = Table("observations", "value extracted from a document", (
    _col("source_file", "varchar", SOURCE_FILE),
    _col("geo", "varchar", GEO),
    _col("year", "integer", "the year the sentence states (the sheet's year, unless a `year_matches_sheet` "
         "rejection says otherwise); hive partition, read back as a column"),
    _col("metric", "varchar", METRIC),
    SCOPE,
    *figure_columns("the figure as a whole number: every count, and a percentage when it is whole (19%); null for "
                    "a percentage with decimals (see `percent`), and for a count that is not whole (rejected by "
                    "`count_whole`, whose reason states the figure). \"36.2 million\" is stored as 36200000"),
    _col("qualifier", "varchar", QUALIFIER, isin=list(catalog.QUALIFIERS)),
    _col("unit", "varchar", UNIT),
    _col("evidence", "varchar", EVIDENCE, str_length={"min_value": 1}),
    _col("char_start", "integer", "offset in the decoded text of the sheet where the evidence starts", ge=0),
    _col("char_end", "integer", "offset in the decoded text of the sheet where the evidence ends", ge=1),
    _col("accepted", "boolean", "false when a check rejected the value (see rejections)"),
    _col("load_id", "varchar", LOAD_ID),
))

FACTS = Table("facts", "(`geo`, `year`, `metric`)", (
    _col("geo", "varchar", GEO),
    _col("year", "integer", YEAR),
    _col("metric", "varchar", METRIC),
    SCOPE,
    *figure_columns(VALUE, ge=0),
    _col("qualifier", "varchar", QUALIFIER, isin=list(catalog.QUALIFIERS)),
    _col("unit", "varchar", UNIT),
    _col("source_file", "varchar", "the first (by name) of the sheets that give this value; join "
         "`observations` on (source_file, geo, year, metric) for the evidence"),
    _col("n_sources", "integer", "how many distinct sheets give this value", ge=1),
    _col("load_id", "varchar", LOAD_ID),
))

REJECTIONS = Table("rejections", "failed check", (
    _col("source_file", "varchar", SOURCE_FILE),
    _col("geo", "varchar", "the place of the rejected value; null when the whole file is rejected and its place "
         "is unknown", True),
    _col("year", "integer", "the year of the rejected value; null when the whole file is rejected and its year "
         "is unknown", True),
    _col("metric", "varchar", "the rejected metric; null when the whole file is rejected", True),
    _col("check", "varchar", "the check that failed (a name; see the README's Checks)"),
    _col("reason", "varchar", "why, in a sentence", str_length={"min_value": 1}),
    _col("evidence", "varchar", "the sentence or table row of the rejected value; null for a whole file", True),
    _col("load_id", "varchar", LOAD_ID),
))

METRICS = Table("metrics", "metric in the catalog", (
    _col("metric", "varchar", METRIC),
    _col("scope", "varchar", "`state` (each sheet, for its own state) or `national` (`geo = 'US'`)",
         isin=list(catalog.SCOPES)),
    _col("title", "varchar", "what a page calls the metric (\"Team HOPE: families supported\")"),
    _col("program", "varchar", "the NCMEC program the figure belongs to"),
    _col("unit", "varchar", "what the figure counts in"),
    _col("description", "varchar", "what the figure counts"),
    _col("example", "varchar", "a sentence or table row of a real sheet that states it"),
    _col("caveat", "varchar", "what to know before comparing or adding the figure up; null when nothing", True),
    _col("load_id", "varchar", LOAD_ID),
))

GEOS = Table("geos", "state, district, territory, nation", (
    _col("geo", "varchar", "USPS code; `US` for the nation", unique=True, str_length={"min_value": 2, "max_value": 2}),
    _col("name", "varchar", "the place's name"),
    _col("kind", "varchar", "`state`, `district`, `territory` or `nation`",
         isin=["state", "district", "territory", "nation"]),
    _col("fips", "varchar", "FIPS state code; null for the nation", True),
    _col("load_id", "varchar", LOAD_ID),
))

_COUNT = "counted as the run left the warehouse"
LOAD_RUNS = Table("load_runs", "flow run", (
    _col("load_id", "varchar", "the run's id: its start time and a random suffix"),
    _col("started_at", "timestamptz", "when the run started"),
    _col("finished_at", "timestamptz", "when it completed or failed; null while running", True),
    _col("status", "varchar", "`running`, `completed` or `failed`"),
    _col("raw_dir", "varchar", "the raw folder it read", True),
    _col("files_seen", "integer", f"files in the raw folder, {_COUNT}", True),
    _col("files_parsed", "integer", "files decoded and extracted this run (the rest were known)", True),
    _col("files_loaded", "integer", _COUNT, True),
    _col("files_duplicate", "integer", _COUNT, True),
    _col("files_rejected", "integer", _COUNT, True),
    _col("files_removed", "integer", _COUNT, True),
    _col("observations", "integer", _COUNT, True),
    _col("facts", "integer", _COUNT, True),
    _col("rejections", "integer", _COUNT, True),
    _col("facts_added", "integer", "facts this run added (see fact_changes)", True),
    _col("facts_changed", "integer", "facts this run changed (see fact_changes)", True),
    _col("facts_removed", "integer", "facts this run removed (see fact_changes)", True),
    _col("decode_seconds", "double", "summed over parse workers", True),
    _col("extract_seconds", "double", "summed over parse workers", True),
    _col("validate_seconds", "double", "the checks: summed over parse workers, and those across documents", True),
    _col("load_seconds", "double", "the load transaction", True),
    _col("error", "varchar", "why a failed run failed", True),
    _col("flow_run_id", "varchar", "the Prefect flow run of the run; null for runs made without Prefect", True),
    _col("flow_run_url", "varchar", "the flow run's page in the Prefect UI; null unless a Prefect server was "
         "configured (PREFECT_API_URL) for the run", True),
))

FACT_CHANGES = Table("fact_changes", "fact added, changed or removed by a run", (
    _col("geo", "varchar", GEO),
    _col("year", "integer", YEAR),
    _col("metric", "varchar", METRIC),
    _col("change", "varchar", "`added`, `changed` or `removed`", isin=["added", "changed", "removed"]),
    _col("old_value", "bigint", "the fact's `value` before the run; null when added, or a percentage with "
         "decimals", True),
    _col("new_value", "bigint", "the fact's `value` after the run; null when removed, or a percentage with "
         "decimals", True),
    _col("old_percent", "double", "the fact's `percent` before the run; null for a count, or when added", True),
    _col("new_percent", "double", "the fact's `percent` after the run; null for a count, or when removed", True),
    _col("old_qualifier", "varchar", "the qualifier before the run", True),
    _col("new_qualifier", "varchar", "the qualifier after the run", True),
    _col("load_id", "varchar", "the run that made the change"),
))

FETCHES = Table("fetches", "source URL asked by a fetch (`ncmec fetch`)", (
    _col("fetch_id", "varchar", "the fetch's id: its start time and a random suffix"),
    _col("url", "varchar", "the URL asked, as listed (the command line or sources.toml)"),
    _col("kind", "varchar", "`sheet` (a PDF for the raw folder) or `index` (a page listing sheets)",
         isin=["sheet", "index"]),
    _col("status", "varchar", "`new` (a file the raw folder did not have), `changed` (the file replaced), "
         "`unchanged` (a 304, or the same bytes), `listed` (an index page read) or `failed` (see check, error)",
         isin=["new", "changed", "unchanged", "listed", "failed"]),
    _col("http_status", "integer", "the last HTTP status answered; null when none came (a timeout)", True),
    _col("final_url", "varchar", "where redirects led; null when the URL answered itself", True),
    _col("source_file", "varchar", "the file in the raw folder it writes; null for an index", True),
    _col("etag", "varchar", "the answer's ETag, sent back as If-None-Match by the next fetch", True),
    _col("last_modified", "varchar", "the answer's Last-Modified, sent back as If-Modified-Since", True),
    _col("sha256", "varchar", "SHA-256 of the sheet's bytes (unchanged: of the file kept)", True),
    _col("n_bytes", "bigint", "the answer's size in bytes", True),
    _col("fetched_at", "timestamptz", "when the answer came, or the attempt failed"),
    _col("check", "varchar", "for a failure: its name (`not_found`, `timeout`, `not_a_pdf`, ...; the README's "
         "Fetching sheets)", True),
    _col("error", "varchar", "for a failure: why, in a sentence", True),
))

TABLES = {t.name: t for t in (DOCUMENTS, OBSERVATIONS, FACTS, REJECTIONS, METRICS, GEOS, LOAD_RUNS, FACT_CHANGES,
                              FETCHES)}


def ddl() -> str:
    """Every table, for a new warehouse (no primary keys: the pandera models enforce keys before
    a load, and DuckDB rejects a delete-then-insert of the same key inside one transaction)."""
    return "\n\n".join(t.ddl() for t in TABLES.values())
