"""The warehouse's SQL views: the files `warehouse/*.sql` (installed as the package
`pipelines.views`), applied in name order by every load, inside its transaction.

A view file names no metric and no check: where it needs them, it has a placeholder, `{{name}}`,
which `view_sql` writes out from the catalog (pipelines/core/catalog.toml) and the registry of
checks (pipelines/core/registry.py) when the views are applied, so that a new metric or check
reaches the views with no edit here (tests/test_views.py fails on a view file that spells one).
A placeholder of several items (a column each) is written one to a line, at its own indentation.
"""

from __future__ import annotations

import re
from importlib import resources
from importlib.resources.abc import Traversable

import duckdb

from pipelines.core import catalog, figures, registry
from pipelines.core.sqlpaths import literal
from pipelines.store.warehouse import WarehouseError

# The views a warehouse must have (DESIGN.md, README): a load that ends without one of them fails.
VIEWS = ("state_year_wide", "missing_breakdown", "state_share_of_national", "year_over_year")

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def view_files() -> list[Traversable]:
    """The SQL view files, in name order, so that a view can read the views before it."""
    return sorted((f for f in resources.files("pipelines.views").iterdir() if f.name.endswith(".sql")),
                  key=lambda f: f.name)


def _pivot(names: tuple[str, ...]) -> list[str]:
    """A column per metric name: a count's whole `value` (BIGINT), a percentage's exact figure (DOUBLE)."""
    percents = {m.metric for m in catalog.metrics() if m.unit == "percent"}
    return [f"max({figures.exact() if name in percents else 'value'}) filter (where metric = {literal(name)}) as {name}"
            for name in names]


def placeholders() -> dict[str, str | list[str]]:
    """What each placeholder stands for. Metric names are lowercase identifiers (the catalog
    refuses any other), so they are columns as they are."""
    rows = catalog.breakdown_rows()
    listed = lambda names: ", ".join(literal(n) for n in names)  # noqa: E731
    return {
        "metric_columns": _pivot(tuple(catalog.metric_names())),  # a column per metric name, once
        "figure": figures.exact(),  # a row's exact figure, to compute with
        "breakdown_total": literal(catalog.BREAKDOWN_TOTAL),
        "breakdown_metrics": listed((catalog.BREAKDOWN_TOTAL, *rows)),
        "breakdown_rows": listed(rows),
        "breakdown_row_columns": _pivot(rows),
        "breakdown_row_names": list(rows),
        "breakdown_rows_sum": " + ".join(f"coalesce({name}, 0)" for name in rows),
        "breakdown_checks": listed(registry.of_breakdown()),
        "extraction_checks": listed(registry.of_level("extraction")),
    }


def view_sql(text: str, values: dict[str, str | list[str]] | None = None) -> str:
    """A view file's SQL with its placeholders written out; WarehouseError on one not known."""
    values = placeholders() if values is None else values

    def fill(m: re.Match[str]) -> str:
        if m.group(1) not in values:
            raise WarehouseError(f"a view file has the placeholder {m.group(0)}, which is not one of "
                                 f"{', '.join(values)}")
        value = values[m.group(1)]
        if isinstance(value, str):
            return value
        line = text[text.rfind("\n", 0, m.start()) + 1 : m.start()]
        return (",\n" + " " * (len(line) - len(line.lstrip()))).join(value)

    return _PLACEHOLDER.sub(fill, text)


def apply_views(con: duckdb.DuckDBPyConnection) -> None:
    """Every view, created anew inside the load's transaction, so views always match the tables
    they read; a view that fails, or one missing from the install, fails the load."""
    values = placeholders()
    for view in view_files():
        try:
            con.execute(view_sql(view.read_text("utf-8"), values))
        except duckdb.Error as exc:
            raise WarehouseError(f"view file {view.name} failed: {str(exc).splitlines()[0]}") from None
    made = {name for (name,) in con.execute("select view_name from duckdb_views() where not internal").fetchall()}
    missing = [v for v in VIEWS if v not in made]
    if missing:
        raise WarehouseError(f"the installed package has no view file for {', '.join(missing)} "
                             "(warehouse/*.sql ships as pipelines.views: reinstall the package)")
