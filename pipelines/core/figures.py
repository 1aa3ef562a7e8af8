"""How the warehouse keeps a figure: the rule, written once.

Every stage before the load (parsing, the staged parquet, the checks, resolve) keeps a figure as
it was read, one exact DOUBLE, `value`. The load writes it in two columns (pipelines/core/tables.py,
`Table.write_sql`): `value`, a BIGINT, the figure as a whole number (every count, and a whole
percentage), and `percent`, a DOUBLE, a percentage with its decimals. Users read counts as
integers (pandas gives float64 for a DOUBLE, JSON prints 33.0), and no one typed column holds a
count as an integer and 19.5% too. SQL that reads a warehouse figure back to compare or compute
with it reads `exact()`; JSON prints a figure read back by `number()`.
"""

from __future__ import annotations

from pipelines.core.registry import WHOLE_LIMIT

FIGURE = "value"  # the staged column that holds a figure as read


def whole(figure: str) -> str:
    """SQL: the figure as a whole number (BIGINT); null when it is none (a percentage with
    decimals, or a count that `count_whole` rejects: its rejection states the figure)."""
    return f"case when {figure} = trunc({figure}) and abs({figure}) <= {WHOLE_LIMIT} then {figure}::bigint end"


def percent(figure: str, unit: str) -> str:
    """SQL: a percentage's figure with its decimals; null for a count."""
    return f"case when {unit} = 'percent' then {figure} end"


def exact(prefix: str = "") -> str:
    """SQL: the exact figure of a warehouse row written by `whole` and `percent` (`prefix`: "o." for
    a table's alias, "old_" for fact_changes' columns), for SQL that compares or computes with it."""
    return f"coalesce({prefix}percent, {prefix}value)"


def number(figure: float) -> int | float:
    """A figure as JSON prints it, by the rule of `whole`: an integer when whole (8468, 19), else
    with its decimals (19.5)."""
    return int(figure) if float(figure).is_integer() else figure
