"""Stage 3a: one pandera DataFrameModel per warehouse table, and lazy validation whose every
failure becomes a rejection a person can read.

The field checks on observations (value >= 0, counts whole, percent 0..100, metric in catalog,
geo known, year plausible) are the registry's (pipelines/core/registry.py), run here as named
pandera checks; the document and cross-document checks are in `checks.py` and `resolve.py`.
"""

from __future__ import annotations

import copy
import importlib.util
import sys
import types
from collections.abc import Collection
from typing import Any

import pandas as pd
import pandera.pandas as pa
import pandera.typing
from pandera.typing.pandas import Series

from pipelines.core import catalog, registry, tables


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


def model(name: str) -> type:
    """The pandera DataFrameModel of a declared table as staged (`Table.staged`, pipelines/core/tables.py):
    strict, coercing, with its columns' checks."""
    table = tables.TABLES[name].staged()  # the frames the pipeline makes; the load writes the rest
    attrs: dict[str, Any] = {
        # pandera reads the dtype from Series[...]; here it is a run-time value, not a static type.
        "__annotations__": {c.name: Series[c.dtype()] for c in table.columns},  # type: ignore[misc]
        "Config": type("Config", (), {"strict": True, "coerce": True}),
    }
    for c in table.columns:
        attrs[c.name] = pa.Field(nullable=c.nullable, **c.checks)
    return type(name.title().replace("_", ""), (pa.DataFrameModel,), attrs)


# One model per table, made from its declaration; the named checks (the registry's, and a guard on
# facts) are what makes a value acceptable beyond its type.
Observations = model("observations")
Documents = model("documents")
Rejections = model("rejections")
Metrics = model("metrics")
Geos = model("geos")


def _observation_checks() -> pa.DataFrameSchema:
    """The observations' schema with the field checks of the registry, each a named check: what an
    observation must pass to be accepted (and so reach `facts`)."""
    schema = copy.copy(Observations.to_schema())  # type: ignore[attr-defined]  # a model made at run time
    schema.checks = [*schema.checks, *(pa.Check(rule, name=name) for name, rule in registry.field_rules().items())]
    return schema


ObservationChecks = _observation_checks()


class Facts(model("facts")):  # type: ignore[misc]  # a base made at run time, as above
    @pa.dataframe_check(name="one_fact_per_key")
    def one_fact_per_key(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df.duplicated(["geo", "year", "metric"], keep=False)


def _reason(check: str, row: dict, failure_case: object, field: Collection[str]) -> str:
    """The sentence a failed field check (one of `field`) says of the observation `row`."""
    if check not in field:
        return f"{row.get('metric', 'a value')} fails the check {check} (found {failure_case!r})"
    said = registry.say(check, **row, scope=catalog.scope_of(row["geo"]), first_year=registry.FIRST_YEAR,
                        latest_year=registry.latest_year())
    return said[0].upper() + said[1:] + "."


def row_failures(schema: pa.DataFrameSchema, df: pd.DataFrame) -> list[tuple[object, str, str]]:
    """Validate lazily; return (row index, check, reason) for every failing row and check.

    A failure that is not tied to a row (a missing column, say) is a bug in the pipeline, not
    bad input, and raises.
    """
    try:
        schema.validate(df, lazy=True)
        return []
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        if cases["index"].isna().any():
            raise
        failures, field = [], registry.field_rules()
        for (index, check), group in cases.groupby(["index", "check"], sort=False):
            row = df.loc[index].to_dict()
            failures.append((index, str(check), _reason(str(check), row, group["failure_case"].iloc[0], field)))
        return failures


def validate_table(model: type[pa.DataFrameModel], df: pd.DataFrame) -> pd.DataFrame:
    """Validate a table the pipeline built itself: any failure is a bug and raises."""
    return model.validate(df, lazy=True)
