"""Stage 3a: one pandera DataFrameModel per warehouse table, and lazy validation whose every
failure becomes a rejection a person can read.

Field checks on observations (value >= 0, counts whole, percent 0..100, metric in catalog, geo
known, year plausible) are named checks here; the document and cross-document checks are in
`checks.py`.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from datetime import date

import pandas as pd
import pandera.pandas as pa
import pandera.typing
from pandera.typing.pandas import Series

from pipelines.core import catalog, tables

FIRST_YEAR = 1984  # NCMEC was founded in 1984: no sheet speaks of an earlier year.


def _pandas_only() -> None:
    """Spare the first validation of a run about 0.6 s of imports that pandas models never use.

    Building a model's schema, pandera asks which Series and Index types exist, and to answer
    imports its Dask typing module, which imports dask.dataframe (0.5 s; prefect-dask brings
    Dask). The answer is cached: give it once with that module standing in as "no Dask". And
    pandera tries to import geopandas for every column's dtype, searching the whole path each
    time (0.1 s a model): when it is not installed, say so once in sys.modules."""
    if importlib.util.find_spec("geopandas") is None:
        sys.modules.setdefault("geopandas", None)  # type: ignore[arg-type]  # None: "not installed"
    name = "pandera.typing.dask"
    if name in sys.modules:
        return
    sys.modules[name] = types.SimpleNamespace(DASK_INSTALLED=False)  # type: ignore[assignment]
    try:
        pandera.typing.get_index_types()
        pandera.typing.get_series_types()
    finally:
        del sys.modules[name]


_pandas_only()


def _latest_year() -> int:
    return date.today().year + 1


# One model per table, made from its declaration (pipelines/core/tables.py); the named checks below
# are what makes a value acceptable beyond its type.
Observations = tables.model("observations")
Documents = tables.model("documents")
Rejections = tables.model("rejections")
Metrics = tables.model("metrics")
Geos = tables.model("geos")


# The models are made at run time (tables.model), so mypy sees a variable, not a class, as a base.
class ObservationChecks(Observations):  # type: ignore[misc,valid-type]
    """The field checks an observation must pass to be accepted (and so reach `facts`)."""

    @pa.check("geo", name="geo_known")
    def geo_known(cls, geo: Series[str]) -> Series[bool]:
        return geo.isin(catalog.known_geos())

    @pa.check("year", name="year_plausible")
    def year_plausible(cls, year: Series[int]) -> Series[bool]:
        return year.between(FIRST_YEAR, _latest_year())

    @pa.check("value", name="value_non_negative")
    def value_non_negative(cls, value: Series[float]) -> Series[bool]:
        return value.ge(0)

    @pa.dataframe_check(name="metric_in_catalog")
    def metric_in_catalog(cls, df: pd.DataFrame) -> Series[bool]:
        # Vectorised (a Python test per row cost a third of a batch's validation): a national
        # metric where geo is the nation (catalog.scope_of), a state metric elsewhere.
        in_scope = {scope: [m for m, s in catalog.metric_index() if s == scope] for scope in catalog.SCOPES}
        national = df["geo"] == catalog.NATION
        return df["metric"].isin(in_scope["national"]).where(national, df["metric"].isin(in_scope["state"]))

    @pa.dataframe_check(name="unit_matches_catalog")
    def unit_matches_catalog(cls, df: pd.DataFrame) -> Series[bool]:
        units = {m.metric: m.unit for m in catalog.metrics()}
        return df["metric"].map(units).isna() | (df["metric"].map(units) == df["unit"])

    @pa.dataframe_check(name="count_whole")
    def count_whole(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["unit"] == "percent") | (df["value"] % 1 == 0)

    @pa.dataframe_check(name="percent_range")
    def percent_range(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["unit"] != "percent") | df["value"].between(0, 100)


class Facts(tables.model("facts")):  # type: ignore[misc]  # a base made at run time, as above
    @pa.dataframe_check(name="one_fact_per_key")
    def one_fact_per_key(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df.duplicated(["geo", "year", "metric"], keep=False)


# What each named check means, said of the failing observation `r` (a row as a dict).
_REASONS = {
    "geo_known": lambda r: f"the sentence names '{r['geo']}', which is not a known state, DC or territory",
    "year_plausible": lambda r: f"the year {r['year']} is outside {FIRST_YEAR}..{_latest_year()}",
    "value_non_negative": lambda r: f"{r['metric']} is {r['value']:g}, but a count cannot be negative",
    "metric_in_catalog": lambda r: f"{r['metric']} is not a {catalog.scope_of(r['geo'])} metric of the catalog",
    "unit_matches_catalog": lambda r: f"{r['metric']} has unit '{r['unit']}', not the catalog's",
    "count_whole": lambda r: f"{r['metric']} is {r['value']:g}, but a count of {r['unit']} must be a whole number",
    "percent_range": lambda r: f"{r['metric']} is {r['value']:g}%, outside 0..100",
}


def _reason(check: str, row: dict, failure_case: object) -> str:
    if check in _REASONS:
        return _REASONS[check](row)
    return f"{row.get('metric', 'a value')} fails the check {check} (found {failure_case!r})"


def row_failures(model: type[pa.DataFrameModel], df: pd.DataFrame) -> list[tuple[object, str, str]]:
    """Validate lazily; return (row index, check, reason) for every failing row and check.

    A failure that is not tied to a row (a missing column, say) is a bug in the pipeline, not
    bad input, and raises.
    """
    try:
        model.validate(df, lazy=True)
        return []
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        if cases["index"].isna().any():
            raise
        failures = []
        for (index, check), group in cases.groupby(["index", "check"], sort=False):
            row = df.loc[index].to_dict()
            failures.append((index, str(check), _reason(str(check), row, group["failure_case"].iloc[0])))
        return failures


def validate_table(model: type[pa.DataFrameModel], df: pd.DataFrame) -> pd.DataFrame:
    """Validate a table the pipeline built itself: any failure is a bug and raises."""
    return model.validate(df, lazy=True)
