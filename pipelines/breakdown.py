"""Stage 2c: the missing-children table, read as a table.

The sheet announces it ("NCMEC handled 204 cases of missing children from Wisconsin as
follows:") and lists up to three rows, a label and a number each. Exporters print it in many
ways: a row per line ("Label<TAB>137", "| Label | 137 |", "Label      137"), a cell per line
(label, number, label, number), column by column (every label, then every number), wrapped
labels with the number beside their first or last line, and page furniture in between.

Labels and numbers are paired only by that structure: within the table's text, each run of k
labels must be followed by exactly k numbers, paired in order. That covers rows, cells and
columns alike, and anything else (a number missing, one too many, the numbers moved past the
next heading in a different count) makes the table unreadable: every row is then rejected with
`breakdown_unreadable` and a reason, and no value is guessed. A number is never just "the next
number after the label". A row stated as 0 is 0; a row the table does not list is absent.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field

from . import catalog

TOTAL = "missing_child_cases"  # the state figure the table breaks down
ROWS = tuple(m.metric for m in catalog.metrics() if m.label)  # its rows, in the catalog's order

_TOKEN = re.compile(r"[^\s|:]+")  # words and numbers; white space, pipes and colons only separate
_NUMBER = re.compile(r"\d[\d,.]*")
_WELL_FORMED = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+|0|[1-9]\d*")
_NEWLINE = re.compile("\n")
_RULE = re.compile(r"[-=_*]+")  # what is left of a markdown table's delimiter row
_WINDOW = 1500  # characters after the first label: the table is far shorter
_MAX_HEADING_WORDS = 15  # the next heading, which some tools print before the table's numbers


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


class _Token:
    """A word or a number of the table's text, and its line."""

    __slots__ = ("start", "end", "text", "line", "number", "is_number")

    def __init__(self, start: int, end: int, text: str, line: int):
        self.start, self.end, self.text, self.line = start, end, text, line
        self.number = text.strip(".,;()")
        self.is_number = bool(_NUMBER.fullmatch(self.number))


def _labels(words: list[_Token]) -> list[tuple[int, int, catalog.Metric]]:
    """(first word, last word, metric) of each row label among the words, in text order."""
    stream, offsets = "", []
    for w in words:
        offsets.append(len(stream))
        stream += w.text + " "
    found = []
    for metric in catalog.metrics():
        if metric.label is None:
            continue
        for m in metric.label.finditer(stream):
            first = offsets.index(m.start()) if m.start() in offsets else None
            if first is None:
                continue
            last = max(i for i, o in enumerate(offsets) if o < m.end())
            found.append((first, last, metric))
    found.sort(key=lambda f: f[0])
    out: list[tuple[int, int, catalog.Metric]] = []
    for f in found:
        if not out or f[0] > out[-1][1]:
            out.append(f)
    return out


def _tokens(text: str, start: int) -> list[_Token]:
    end = min(len(text), start + _WINDOW)
    breaks = [m.start() for m in _NEWLINE.finditer(text, start, end)]
    return [_Token(m.start(), m.end(), m.group(), bisect_left(breaks, m.start()))
            for m in _TOKEN.finditer(text, start, end) if not _RULE.fullmatch(m.group())]


def _printed(text: str, first: _Token, last: _Token) -> str:
    return " ".join(text[first.start : last.end].split())


def read(text: str, after: int = 0, markers: frozenset[int] = frozenset()) -> Breakdown | None:
    """The table in `text`: the first row label at or after `after` (else anywhere) starts it.
    None when the text has no row label at all.

    `markers` are footnote markers the sheet defines but whose mark was found nowhere: one
    printed apart from its label ("Other Missing Children Cases 2", then "62") is taken for the
    marker only when the table reads exactly without it."""
    table = _find_start(text, after)
    if table is None:
        return None
    tokens = _tokens(text, table)
    words = [t for t in tokens if not t.is_number]
    starts = {first: (last, metric) for first, last, metric in _labels(words)}
    # Items in text order: a label (metric, printed label, its first word), or a number. A number
    # printed inside a wrapped label (beside its first line) belongs to that label's row, so it
    # comes right after it. The table ends at the first word that is no part of a label.
    items: list[tuple[catalog.Metric, str, _Token] | _Token] = []
    w, label_end, stop = 0, -1, len(tokens)
    for i, token in enumerate(tokens):
        if token.is_number:
            items.append(token)
            continue
        if w in starts:
            label_end, metric = starts[w]
            items.append((metric, _printed(text, token, words[label_end]), token, words[label_end]))
        elif w > label_end:
            stop = i
            break
        w += 1
    end = tokens[stop - 1].end if stop else table
    rows, error = _pair(items, tokens[stop:])
    if error and (marks := _marks(items, markers)):
        rows, retry = _pair([item for item in items if not any(item is m for m in marks)], tokens[stop:])
        if not retry:
            return Breakdown(rows=rows, markers={int(m.number) for m in marks}, start=table, end=end)
    if error:
        found = [item[0].metric for item in items if isinstance(item, tuple)]
        return Breakdown(unreadable=found, reason=error, start=table, end=end)
    return Breakdown(rows=rows, start=table, end=end)


def _marks(items: list, markers: frozenset[int]) -> list[_Token]:
    """Numbers right after a label, on its last line, that are footnote markers."""
    return [number for label, number in zip(items, items[1:])
            if isinstance(label, tuple) and isinstance(number, _Token) and number.line == label[3].line
            and number.number.isdigit() and int(number.number) in markers]


def _find_start(text: str, after: int) -> int | None:
    starts = sorted(m.start() for metric in catalog.metrics() if metric.label
                    for m in metric.label.finditer(text))
    if not starts:
        return None
    return next((s for s in starts if s >= after), starts[0])


def _pair(items: list, rest: list[_Token]) -> tuple[list[Row], str]:
    """Each run of labels followed by as many numbers; the numbers may come after the next
    heading when the labels end the table (some tools put the number column there)."""
    rows: list[Row] = []
    i = 0
    while i < len(items):
        labels = []
        while i < len(items) and isinstance(items[i], tuple):
            labels.append(items[i])
            i += 1
        numbers = []
        while i < len(items) and not isinstance(items[i], tuple):
            numbers.append(items[i])
            i += 1
        if not labels:
            return [], f"the number {numbers[0].number} comes before any row label"
        if not numbers and i == len(items):
            numbers = _after_heading(rest, len(labels))
        if len(numbers) != len(labels):
            names = ", ".join(f"'{label[1]}'" for label in labels)
            many = len(labels) > 1
            return [], (f"{len(labels)} row label{'s' if many else ''} ({names}) {'are' if many else 'is'} "
                        f"followed by {len(numbers)} number{'' if len(numbers) == 1 else 's'}, so no number "
                        "can be paired with its row")
        for (metric, printed, first, _), number in zip(labels, numbers):
            if not _WELL_FORMED.fullmatch(number.number):
                return [], f"the number '{number.number}' of the row '{printed}' is not a well-formed figure"
            rows.append(Row(metric.metric, float(number.number.replace(",", "")), number.number,
                            first.start, number.start + len(number.number)))
    return rows, ""


def _after_heading(rest: list[_Token], wanted: int) -> list[_Token]:
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
