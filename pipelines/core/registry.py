"""Every named check, declared once: its name, its level, what it means, which values it applies
to, the sentence a rejection by it says, and, for a check of one value, the rule itself. A
rejection names one of these (tests/test_registry.py fails on a check made anywhere that is not
here); `ncmec explain`'s "checks passed", the field checks pandera runs (validate/schemas.py), the
README's list and the data dictionary's are derived from it.

Levels (LEVELS): a whole file, a value the text no longer carries for certain, one value, within
a sheet, across sheets. The last three are the checks a fact has passed. A check within a sheet
or across sheets compares several values: its rule is a function of its stage
(validate/checks.py, validate/resolve.py), which says its rejections with `say`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from pipelines.core import catalog

if TYPE_CHECKING:
    import pandas as pd

CUMULATIVE = "cvip_children_identified_cumulative"  # a running total: it never falls
FIRST_YEAR = 1984  # NCMEC was founded in 1984: no sheet speaks of an earlier year.
# The largest count a sheet may state: a figure is read as a double, which holds every whole number
# up to 2**53 exactly ("99999999999999999999" reads as 1e20), and the warehouse keeps a count as a
# BIGINT (pipelines/core/tables.py), which must never be handed a figure it cannot hold.
WHOLE_LIMIT = 2**53
LEVELS = {
    "file": "a whole input, rejected before or while it is read",
    "extraction": "a value the text no longer carries for certain",
    "field": "one value",
    "document": "a value against the rest of its sheet",
    "across": "a value against the other sheets",
}
VALUE_LEVELS = ("field", "document", "across")

Applies = Callable[[str, str, str], bool]  # (metric, scope, unit) -> whether a fact of it goes through the check
Rule = Callable[["pd.DataFrame"], "pd.Series"]  # observations -> whether each passes (vectorised)


def latest_year() -> int:
    return date.today().year + 1


def _every(metric: str, scope: str, unit: str) -> bool:
    return True


@dataclass(frozen=True)
class Check:
    name: str
    level: str
    means: str
    applies: Applies = _every
    # What a rejection says: str.format over its fields; several cases, by name, for a check
    # that rejects for more than one reason. A field check's fields are the observation's
    # columns and `scope`, `first_year`, `latest_year`.
    reason: str | Mapping[str, str] = ""
    rule: Rule | None = None  # a field check's test of each observation


def _state(metric: str, scope: str, unit: str) -> bool:
    return scope == "state"


def _breakdown(metric: str, scope: str, unit: str) -> bool:
    return scope == "state" and metric in (catalog.BREAKDOWN_TOTAL, *catalog.breakdown_rows())


def _metric_in_catalog(df: pd.DataFrame) -> pd.Series:
    # Vectorised (a Python test per row cost a third of a batch's validation): a national
    # metric where geo is the nation (catalog.scope_of), a state metric elsewhere.
    in_scope = {scope: [m for m, s in catalog.metric_index() if s == scope] for scope in catalog.SCOPES}
    national = df["geo"] == catalog.NATION
    return df["metric"].isin(in_scope["national"]).where(national, df["metric"].isin(in_scope["state"]))


def _unit_matches_catalog(df: pd.DataFrame) -> pd.Series:
    units = df["metric"].map({m.metric: m.unit for m in catalog.metrics()})
    return units.isna() | (units == df["unit"])


_AGREE = {
    "minority": "This sheet gives {value} ({qualifier}) for {metric} ({geo} {year}), but {n_top} sheet(s) give "
                "{value_top} ({qualifier_top}): {files}.",
    "tie": "Sheets disagree on {metric} for {geo} {year} ({said}); no value has a majority, so there is no fact.",
}


CHECKS: tuple[Check, ...] = (
    Check("empty", "file", "the file is empty or only white space"),
    Check("binary", "file", "the file is binary (an image, an archive, a damaged or cut PDF), not a sheet"),
    Check("undecodable", "file", "the text is in no encoding that can be read (or a PDF needs a password)"),
    Check("no_text_layer", "file", "a PDF with no text layer (a scan)"),
    Check("not_a_fact_sheet", "file", "the text is not an NCMEC fact sheet"),
    Check("unknown_state", "file", "the sheet's place is not a US state, DC or territory"),
    Check("no_year", "file", "the sheet states no year"),
    Check("repeated_text", "file", "the text states most of its figures more than once (copies, or several sheets)"),
    Check("unreadable", "file", "the file cannot be read, or changed while it was read"),
    Check("not_a_file", "file",
          "not a regular file: a FIFO, socket, device, link to a folder, a dangling or looping link"),
    Check("outside_raw", "file", "a symbolic link that leads outside the raw folder (not followed)"),
    Check("too_large", "file", "over a size limit (or a PDF over its bounds): not read"),
    Check("file_name", "file", "a file name that is not valid UTF-8"),
    Check("breakdown_unreadable", "extraction", "a row of the missing-children table cannot be paired for certain"),
    Check("value_unreadable", "extraction", "a figure is printed in a way that makes its value uncertain"),
    Check("footnote_ambiguous", "extraction", "a footnote marker may be stuck to the figure"),
    Check("geo_known", "field", "the place is known",
          reason="the sentence names '{geo}', which is not a known state, DC or territory",
          rule=lambda df: df["geo"].isin(catalog.known_geos())),
    Check("year_plausible", "field", "the year is within NCMEC's years",
          reason="the year {year} is outside {first_year}..{latest_year}",
          rule=lambda df: df["year"].between(FIRST_YEAR, latest_year())),
    Check("value_non_negative", "field", "the value is not negative",
          reason="{metric} is {value:g}, but a count cannot be negative", rule=lambda df: df["value"].ge(0)),
    Check("metric_in_catalog", "field", "the metric is in the catalog, for its scope",
          reason="{metric} is not a {scope} metric of the catalog", rule=_metric_in_catalog),
    Check("unit_matches_catalog", "field", "the unit is the catalog's",
          reason="{metric} has unit '{unit}', not the catalog's", rule=_unit_matches_catalog),
    Check("percent_range", "field", "a percent is within 0..100", lambda m, s, unit: unit == "percent",
          reason="{metric} is {value:g}%, outside 0..100",
          rule=lambda df: (df["unit"] != "percent") | df["value"].between(0, 100)),
    Check("count_whole", "field", f"a count is a whole number (at most {WHOLE_LIMIT:,})",
          lambda m, s, unit: unit != "percent",
          reason="{metric} is {value:g}, but a count of {unit} must be a whole number of at most "
                 f"{WHOLE_LIMIT:,}",
          rule=lambda df: (df["unit"] == "percent") | ((df["value"] % 1 == 0) & (df["value"].abs() <= WHOLE_LIMIT))),
    Check("year_matches_sheet", "document", "the sentence's year is the sheet's",
          reason="The sentence is about {year}, but the sheet is about {sheet_year}."),
    Check("place_matches_sheet", "document", "the sentence's place is the sheet's", _state,
          reason="The sentence names {place}, but the sheet is about {sheet_place}."),
    Check("state_within_national", "document", "a state's value is at most the national value of the metric",
          lambda metric, scope, u: scope == "state" and (metric, "national") in catalog.about(),
          reason="The state figure {value} for {metric} is larger than the national figure {national}."),
    Check("breakdown_row_within_total", "document", "no row of the missing-children table exceeds its total",
          _breakdown, reason="The missing-children row {metric} is {value}, more than the sheet's total of "
                             "{total} missing child cases."),
    Check("breakdown_sums", "document", "the missing-children table's rows add up to its total", _breakdown,
          reason="The missing-children rows add up to {sum} ({shown}), but the sheet's total is {total}."),
    Check("national_agrees", "across", "national figures agree among the sheets of a year",
          lambda m, scope, u: scope == "national", reason=_AGREE),
    Check("sources_agree", "across", "the sheets that state a value agree on it", _state, reason=_AGREE),
    Check("cvip_cumulative_non_decreasing", "across", "the cumulative CVIP total never falls from one year to the next",
          lambda metric, s, u: metric == CUMULATIVE,
          reason="The cumulative CVIP total {value} for {year} is below {before} for {before_year}; "
                 "a running total cannot fall."),
)

NAMES = tuple(c.name for c in CHECKS)
_BY_NAME = {c.name: c for c in CHECKS}


def say(check: str, *, case: str = "", **fields: Any) -> str:
    """The reason a rejection by `check` gives: its template (or its template for `case`) filled in.
    A year is printed as the whole number it is, whatever column it came from: a nullable integer
    column that pandas reads as floats (the sheets' years, where a rejected file has none) would
    otherwise say "the sheet is about 2023.0"."""
    reason = _BY_NAME[check].reason
    years = {k: _whole(v) for k, v in fields.items() if k == "year" or k.endswith("_year")}
    return (reason[case] if isinstance(reason, Mapping) else reason).format(**(fields | years))


def _whole(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def field_rules() -> dict[str, Rule]:
    """The field checks, by name, and their rules: what pandera runs on every observation."""
    return {c.name: c.rule for c in CHECKS if c.level == "field" and c.rule is not None}


def passed(metric: str, scope: str, unit: str) -> list[str]:
    """The checks a fact of this metric has passed: every value check that applies to it, in order."""
    return [c.name for c in CHECKS if c.level in VALUE_LEVELS and c.applies(metric, scope, unit)]


def of_level(level: str) -> list[str]:
    return [c.name for c in CHECKS if c.level == level]


def of_breakdown() -> list[str]:
    """The checks of the missing-children table as a whole (its rows against its total)."""
    return [c.name for c in CHECKS if c.applies is _breakdown]
