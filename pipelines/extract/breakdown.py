"""Stage 2c: the missing-children table, read as a table.

The sheet announces it ("NCMEC handled 204 cases of missing children from Wisconsin as
follows:") and lists up to three rows, a label and a number each. Exporters print it in many
ways: a row per line ("Label<TAB>137", "| Label | 137 |", "Label      137"), a cell per line
(label, number, label, number), column by column (every label, then every number), wrapped
labels with the number beside their first or last line, the number column first, a header row
("Type of case  Cases") repeated after a page break, a "Total" row, page furniture or a watermark's
letters between, and cells run together with no separator ("Services812Other Missing Children Cases95").

Labels and numbers are paired only by that structure: within the table's text, each run of k
labels must be followed by exactly k numbers (or, with the number column first, each run of k
numbers by k labels), paired in order. That covers rows, cells and columns alike. Only a few
structural readings are tried when that fails, each of which must then pair every row exactly:
a footnote marker printed apart from its label, and a page number printed before a repeated
header. Anything else (a number missing, one too many) makes the table unreadable: every row
is rejected with `breakdown_unreadable` and a reason, and no value is guessed (never "the next
number after the label"). A row stated as 0 is 0; a row not listed, or listed as "N/A", is absent.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from typing import NamedTuple

from pipelines.core import anchors, catalog
from pipelines.extract import cells

TOTAL = catalog.BREAKDOWN_TOTAL  # the state figure the table breaks down
ROWS = catalog.breakdown_rows()  # its rows, in the catalog's order

_WELL_FORMED = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+|0|[1-9]\d*")
_TOTAL_ROW = re.compile(r"Total", re.IGNORECASE)  # a row that repeats the total, read and left
_MAX_HEADING_WORDS = 15  # the next heading, which some tools print before the table's numbers
_MAX_HEADER_WORDS = 8  # a header row: "Type of case  Cases"
_LEAD_CHARS = 300  # how far before its first label a table's header or first number may be
_AFTER_LAST_LABEL = 400  # its numbers, a heading, and numbers set after the heading
# The words read first: to this far past the last label (its numbers, when they follow the labels),
# with words to spare after the table (a label or a header row read there is read whole: each is
# at most _MARGIN words); the rest of the words only for numbers set after the next heading.
_PAST_LAST_LABEL = 160
_MARGIN = 12


@dataclass(frozen=True)
class Row:
    metric: str
    value: float
    numeral: str  # as printed
    start: int  # the row's span in the text read: from its label to its number
    end: int


@dataclass
class Breakdown:
    rows: list[Row] = field(default_factory=list)
    markers: set[int] = field(default_factory=set)  # footnote markers found beside row labels
    unreadable: list[str] = field(default_factory=list)  # metrics of rows that could not be read
    reason: str = ""
    start: int = 0  # the table's span in the text read, for the rejection's evidence
    end: int = 0


class _Label(NamedTuple):
    metric: str | None  # None: a "Total" row
    printed: str
    first: cells.Token
    last: cells.Token


_Item = _Label | cells.Token


def _labels(words: list[cells.Token]) -> dict[int, tuple[int, str | None]]:
    """first word -> (last word, metric) of each row label among the words ("Total": None)."""
    stream, offsets = "", []
    for w in words:
        offsets.append(len(stream))
        stream += w.text + " "
    at = {o: i for i, o in enumerate(offsets)}
    found: list[tuple[int, int, str | None]] = []
    for metric in catalog.metrics():
        if metric.label is not None:
            found += [(at[m.start()], bisect_left(offsets, m.end()) - 1, metric.metric)
                      for m in metric.label.finditer(stream) if m.start() in at]
    found += [(i, i, None) for i, w in enumerate(words) if _TOTAL_ROW.fullmatch(w.number)]
    out: dict[int, tuple[int, str | None]] = {}
    end = -1
    for first, last, name in sorted(found):
        if first > end:
            out[first], end = (last, name), last
    return out


def _printed(text: str, first: cells.Token, last: cells.Token) -> str:
    return " ".join(text[first.start : last.end].split())


def read(text: str, after: int = 0, markers: frozenset[int] = frozenset()) -> Breakdown | None:
    """The table in `text`: it starts at the first row label at or after `after` (else anywhere),
    or, when that does not read, at `after` itself, so that a header row and a number column set
    before the first label are in it. None when the text has no row label. `markers` are footnote
    markers the sheet defines but whose mark was found nowhere: one printed apart from its label
    ("Other Missing Children Cases 2", then "62") is the marker only when the table reads without it."""
    first = _first_label(text, after)
    if first is None:
        return None
    header = _header(text, after, first)
    failed = None
    for start in (first, after) if header is not None else (first,):
        table = _read_from(text, start, header or (), markers)
        if not table.unreadable:
            return table
        failed = failed or table
    return failed


def _read_from(text: str, start: int, header: tuple[str, ...], markers: frozenset[int]) -> Breakdown:
    # The table's text ends soon after its last label: past its numbers and the next heading.
    window = text[start : start + cells.WINDOW]
    last = max((m.end() for m in _any_label(glued=cells.has_seam(window)).finditer(window)), default=0)
    tokens, every = _words(text, start, start + last + _PAST_LAST_LABEL,
                           start + min(len(window), last + _AFTER_LAST_LABEL))
    items, stop, page_numbers = _items(text, tokens, header)
    if stop + _MARGIN > len(tokens) and len(tokens) < len(every()):  # near the first words' end: all of them
        tokens = every()
        items, stop, page_numbers = _items(text, tokens, header)
    end = tokens[stop - 1].end if stop else start

    def rest() -> list[cells.Token]:
        return every()[stop:]

    rows, error = _pair(items, rest)
    if not error:
        return Breakdown(rows=rows, start=start, end=end)
    marks = _marks(items, markers)
    for dropped in filter(None, (marks, page_numbers, marks and page_numbers and marks + page_numbers)):
        rows, retry = _pair([item for item in items if not any(item is d for d in dropped)], rest)
        if not retry:
            used = {int(m.number) for m in marks if any(m is d for d in dropped)}
            return Breakdown(rows=rows, markers=used, start=start, end=end)
    found = [item.metric for item in items if isinstance(item, _Label) and item.metric]
    return Breakdown(unreadable=found, reason=error, start=start, end=end)


def _words(text: str, start: int, upto: int, end: int) -> tuple[list[cells.Token], Callable[[], list[cells.Token]]]:
    """The table's first words, to the first separator at `upto` or after, where most tables
    have ended; and all its words to `end`, read when asked for. The first words are the first
    of all the words: the same seams split them, and they end whole."""
    glued = cells.has_seam(text, start, end)
    cut = cells.SEPARATOR.search(text, min(end, upto), end)
    first = cells.tokens(text, start, cut.start() if cut else end, glued)
    every = cache(lambda: cells.tokens(text, start, end, glued) if cut else first)
    return first, every


@cache
def _any_label(glued: bool = False) -> re.Pattern[str]:
    """Every row label in one pattern: one pass over the text instead of one a label. `glued`:
    a label need not start a word, for cells run together ("CategoryCountChildren Missing ...")."""
    labels = (m.label.pattern.removeprefix(r"\b") if glued else m.label.pattern for m in catalog.metrics() if m.label)
    return re.compile("|".join(f"(?:{label})" for label in labels), re.IGNORECASE)


def _first_label(text: str, after: int) -> int | None:
    # No label's match starts before its anchors allow (pipelines/core/anchors.py): nor any match of them all.
    folded = anchors.fold(text)
    los = [lo for m in catalog.metrics()
           if m.label_anchored and (lo := m.label_anchored.start(text, folded)) is not None]
    if not los:
        return None
    for glued in (False, True):  # the labels as words, else as cells run together
        first = None
        for m in _any_label(glued).finditer(text, min(los)):  # lazily: the first at or after `after`
            if m.start() >= after:
                return m.start()
            first = m.start() if first is None else first
        if first is not None:
            return first
    return None


def _header(text: str, after: int, first: int) -> tuple[str, ...] | None:
    """The words between the sentence announcing the table and its first label, when few enough
    to be its header row ("Type of case  Cases"); None when the table is not right after it."""
    if not after or not 0 <= first - after <= _LEAD_CHARS:
        return None
    words = tuple(t.number.lower() for t in cells.tokens(text[:first], after) if not t.is_number)
    return words if len(words) <= _MAX_HEADER_WORDS else None


def _items(text: str, tokens: list[cells.Token], header: tuple[str, ...]) -> tuple[list[_Item], int, list[cells.Token]]:
    """The table's labels and numbers in text order, up to the first word that is no part of a
    label (or of the header row, repeated after a page break); the index of that word; and the
    numbers just before a repeated header, which may be the page's number."""
    words = [t for t in tokens if not t.is_number]
    labels = _labels(words)
    items: list[_Item] = []
    page_numbers: list[cells.Token] = []
    w, label_end, i = 0, -1, 0
    while i < len(tokens):
        token = tokens[i]
        if token.is_number:
            items.append(token)
        elif w in labels:
            label_end, metric = labels[w]
            items.append(_Label(metric, _printed(text, token, words[label_end]), token, words[label_end]))
        elif w <= label_end or (len(token.text) == 1 and token.text.isupper()):
            pass  # the rest of a label's words (a number among them is its row's), or a watermark's letter
        elif header and tuple(t.number.lower() for t in tokens[i : i + len(header)]) == header:
            if items and isinstance(items[-1], cells.Token):
                page_numbers.append(items[-1])
            w += len(header)
            i += len(header)
            continue
        else:
            return items, i, page_numbers
        w += not token.is_number
        i += 1
    return items, len(tokens), page_numbers


def _marks(items: list[_Item], markers: frozenset[int]) -> list[cells.Token]:
    """Numbers right after a label, on its last line, that are footnote markers."""
    return [number for label, number in pairwise(items)
            if isinstance(label, _Label) and isinstance(number, cells.Token) and number.line == label.last.line
            and number.number.isdigit() and int(number.number) in markers]


def _pair(items: list[_Item], rest: Callable[[], list[cells.Token]]) -> tuple[list[Row], str]:
    """Labels first: each run of labels followed by as many numbers (which may come after the
    next heading when the labels end the table); else, with the number column first, each run
    of numbers followed by as many labels."""
    rows, error = _runs(items, rest, labels_first=True)
    if error and items and isinstance(items[0], cells.Token):
        rows, second = _runs(items, rest, labels_first=False)
        if not second:
            return rows, ""
    return rows, error


def _runs(items: list[_Item], rest: Callable[[], list[cells.Token]], labels_first: bool) -> tuple[list[Row], str]:
    rows: list[Row] = []
    i = 0
    while i < len(items):
        lead: list[_Item] = []
        follow: list[_Item] = []
        while i < len(items) and isinstance(items[i], _Label) == labels_first:
            lead.append(items[i])
            i += 1
        while i < len(items) and isinstance(items[i], _Label) != labels_first:
            follow.append(items[i])
            i += 1
        # lead and follow each hold one kind of item: split them by kind (and so by type).
        labels = [x for x in lead + follow if isinstance(x, _Label)]
        numbers = [x for x in lead + follow if isinstance(x, cells.Token)]
        if not labels_first and not labels:
            return [], "numbers are not followed by row labels"
        if labels_first and not labels:
            return [], f"the number {numbers[0].number} comes before any row label"
        if labels_first and not numbers and i == len(items):
            numbers = _after_heading(rest(), len(labels))
        if len(numbers) != len(labels):
            names = ", ".join(f"'{label.printed}'" for label in labels)
            many = len(labels) > 1
            return [], (f"{len(labels)} row label{'s' if many else ''} ({names}) {'are' if many else 'is'} "
                        f"{'followed' if labels_first else 'preceded'} by {len(numbers)} "
                        f"number{'' if len(numbers) == 1 else 's'}, so no number can be paired with its row")
        for label, number in zip(labels, numbers, strict=True):
            if cells.NOT_STATED.fullmatch(number.number):
                continue  # "N/A": the row is there, and states no figure
            if not _WELL_FORMED.fullmatch(number.number):
                return [], f"the number '{number.number}' of the row '{label.printed}' is not a well-formed figure"
            if label.metric is None:
                continue  # a "Total" row: the sentence states the total
            start = min(label.first.start, number.start)
            end = max(label.last.end, number.start + len(number.number))
            rows.append(Row(label.metric, float(number.number.replace(",", "")), number.number, start, end))
    return rows, ""


def _after_heading(rest: list[cells.Token], wanted: int) -> list[cells.Token]:
    """The numbers a tool printed after the next heading: one short run of words, then exactly
    `wanted` numbers, each alone on its line, then text again."""
    k = 0
    while k < len(rest) and not rest[k].is_number and k < _MAX_HEADING_WORDS:
        k += 1
    numbers = []
    while k < len(rest) and rest[k].is_number:
        numbers.append(rest[k])
        k += 1
    word_lines = {t.line for t in rest if not t.is_number}
    alone = len({n.line for n in numbers}) == len(numbers) and not any(n.line in word_lines for n in numbers)
    return numbers if numbers and alone and len(numbers) == wanted else []
