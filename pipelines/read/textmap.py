"""Text rewritten in steps that still knows where each character came from.

The normalising stage rewrites an exporter's output many times (tags dropped, mojibake repaired,
page footers cut out, hyphenated words joined, white space folded). Each step is a list of edits
on the text before it; a `Mapped` text keeps every step, so a span found in the final text maps
back through all of them to the decoded text, and evidence is quoted verbatim.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass

Edit = tuple[int, int, str]  # replace text[start:end] with the string


@dataclass(frozen=True)
class _Step:
    """Where each edit sits in the new text and the old one (sorted, not overlapping)."""

    new_starts: tuple[int, ...]
    new_ends: tuple[int, ...]
    old_starts: tuple[int, ...]
    old_ends: tuple[int, ...]

    def start(self, pos: int) -> int:
        """The old position of the character at `pos` of the new text: a character an edit
        wrote maps to the start of what it replaced; text after a deletion starts after it."""
        i = bisect_right(self.new_starts, pos) - 1
        if i < 0:
            return pos
        if pos < self.new_ends[i]:
            return self.old_starts[i]
        return self.old_ends[i] + pos - self.new_ends[i]

    def end(self, pos: int) -> int:
        """The old position just after the character before `pos`: a span ending inside or at
        the end of an edit's text ends where its old text ended; one ending right before a
        deletion leaves the deleted text out."""
        i = bisect_left(self.new_starts, pos) - 1
        if i < 0:
            return pos
        if pos <= self.new_ends[i]:
            return self.old_ends[i]
        return self.old_ends[i] + pos - self.new_ends[i]


class Mapped:
    """A text, and the steps that made it from its original."""

    def __init__(self, text: str, parent: Mapped | None = None, step: _Step | None = None):
        self.text = text
        self.parent = parent
        self._step = step

    def edit(self, edits: Iterable[Edit]) -> Mapped:
        """A new text with the edits applied; edits must be sorted and must not overlap."""
        out: list[str] = []
        new_starts: list[int] = []
        new_ends: list[int] = []
        old_starts: list[int] = []
        old_ends: list[int] = []
        last = pos = 0
        for start, end, repl in edits:
            if start < last:
                raise ValueError(f"overlapping edits at {start}")
            if self.text[start:end] == repl:
                continue
            out.append(self.text[last:start])
            pos += start - last
            new_starts.append(pos)
            out.append(repl)
            pos += len(repl)
            new_ends.append(pos)
            old_starts.append(start)
            old_ends.append(end)
            last = end
        if not new_starts:
            return self
        out.append(self.text[last:])
        step = _Step(tuple(new_starts), tuple(new_ends), tuple(old_starts), tuple(old_ends))
        return Mapped("".join(out), self, step)

    def sub(self, pattern: re.Pattern[str], repl: str | Callable[[re.Match[str]], str]) -> Mapped:
        """Like `re.sub`, as one step."""
        if callable(repl):
            fn = repl
        elif "\\" in repl:  # group references: expanded for each match
            fn = lambda m: m.expand(repl)  # noqa: E731
        else:  # a literal: as it is (expanding it each time cost more than the match)
            fn = lambda m: repl  # noqa: E731
        return self.edit((m.start(), m.end(), fn(m)) for m in pattern.finditer(self.text))

    def translate(self, table: dict[int, str]) -> Mapped:
        """`str.translate` with one character for one: offsets do not move, so no step is kept.

        Each character of the table the text holds is replaced in turn (`str.replace`, in C):
        `str.translate` looks every character of a text up in the table, ten times slower on
        text that is not ASCII. The same result, since no character the table writes is one it
        replaces (tests/test_normalise.py)."""
        text = self.text
        for code, char in table.items():
            if chr(code) in text:
                text = text.replace(chr(code), char)
        return self if text == self.text else Mapped(text, self, None)

    def span_in(self, ancestor: Mapped | None, start: int, end: int) -> tuple[int, int]:
        """Map [start, end) of this text to the same characters of `ancestor` (None: the original)."""
        node: Mapped | None = self
        while node is not None and node is not ancestor and node.parent is not None:
            if node._step is not None:
                old_start = node._step.start(start)
                end = node._step.end(end) if end > start else old_start
                start = old_start
            node = node.parent
        return start, end

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map [start, end) of this text to the original text."""
        return self.span_in(None, start, end)

    def root(self) -> str:
        node = self
        while node.parent is not None:
            node = node.parent
        return node.text
