"""Every named check, declared once: its name, its level, what it means, and which values it
applies to. A rejection names one of these (tests/test_registry.py fails on a check made
anywhere that is not here, and on a README that does not list them); `ncmec explain`'s "checks
passed" is derived from it.

Levels (LEVELS): a whole file, a value the text no longer carries for certain, one value, within
a sheet, across sheets. The last three are the checks a fact has passed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipelines.core import catalog

CUMULATIVE = "cvip_children_identified_cumulative"  # a running total: it never falls
LEVELS = {
    "file": "a whole input, rejected before or while it is read",
    "extraction": "a value the text no longer carries for certain",
    "field": "one value",
    "document": "a value against the rest of its sheet",
    "across": "a value against the other sheets",
}
VALUE_LEVELS = ("field", "document", "across")

Applies = Callable[[str, str, str], bool]  # (metric, scope, unit) -> whether a fact of it goes through the check


def _every(metric: str, scope: str, unit: str) -> bool:
    return True


@dataclass(frozen=True)
class Check:
    name: str
    level: str
    means: str
    applies: Applies = _every


def _state(metric: str, scope: str, unit: str) -> bool:
    return scope == "state"


def _breakdown(metric: str, scope: str, unit: str) -> bool:
    return scope == "state" and metric in (catalog.BREAKDOWN_TOTAL, *catalog.breakdown_rows())


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
    Check("geo_known", "field", "the place is known"),
    Check("year_plausible", "field", "the year is within NCMEC's years"),
    Check("value_non_negative", "field", "the value is not negative"),
    Check("metric_in_catalog", "field", "the metric is in the catalog, for its scope"),
    Check("unit_matches_catalog", "field", "the unit is the catalog's"),
    Check("percent_range", "field", "a percent is within 0..100", lambda m, s, unit: unit == "percent"),
    Check("count_whole", "field", "a count is a whole number", lambda m, s, unit: unit != "percent"),
    Check("year_matches_sheet", "document", "the sentence's year is the sheet's"),
    Check("place_matches_sheet", "document", "the sentence's place is the sheet's", _state),
    Check("state_within_national", "document", "a state's value is at most the national value of the metric",
          lambda metric, scope, u: scope == "state" and (metric, "national") in catalog.metric_index()),
    Check("breakdown_row_within_total", "document", "no row of the missing-children table exceeds its total",
          _breakdown),
    Check("breakdown_sums", "document", "the missing-children table's rows add up to its total", _breakdown),
    Check("national_agrees", "across", "national figures agree among the sheets of a year",
          lambda m, scope, u: scope == "national"),
    Check("sources_agree", "across", "the sheets that state a value agree on it", _state),
    Check("cvip_cumulative_non_decreasing", "across", "the cumulative CVIP total never falls from one year to the next",
          lambda metric, s, u: metric == CUMULATIVE),
)

NAMES = tuple(c.name for c in CHECKS)


def passed(metric: str, scope: str, unit: str) -> list[str]:
    """The checks a fact of this metric has passed: every value check that applies to it, in order."""
    return [c.name for c in CHECKS if c.level in VALUE_LEVELS and c.applies(metric, scope, unit)]


def of_level(level: str) -> list[str]:
    return [c.name for c in CHECKS if c.level == level]


def of_breakdown() -> list[str]:
    """The checks of the missing-children table as a whole (its rows against its total)."""
    return [c.name for c in CHECKS if c.applies is _breakdown]
