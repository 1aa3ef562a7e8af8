"""Text from data (file names, sheet text, query results) made safe to print, as text.

A file name or a sheet can hold anything: a newline that forges a second log line, an escape
sequence that recolours or clears the terminal, a right-to-left override that shows
`txt.exe` as `exe.txt`, a lone surrogate (a file name that is not UTF-8, as Python decodes it)
that cannot even be encoded for output. Every place that prints such text passes it through
`printable`, which writes those characters as escapes (`\\n`, `\\x1b`, `\\u202e`, `\\udce9`)
and leaves every other character as it is. Terminal markup (Rich's `[bold]`, `:emoji:`) is
the printer's concern: it prints data with markup off (pipelines/outputs/terminal.py).
"""

from __future__ import annotations

import json
import re

# C0 and C1 control characters and DEL; the bidirectional overrides and isolates; lone
# surrogates (os.fsdecode of bytes that are not UTF-8).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m: re.Match[str]) -> str:
    ch = m.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, keep_newlines: bool = False) -> str:
    """`text` as a string with every control, bidirectional or surrogate character escaped
    (newlines kept as they are with `keep_newlines`, for text that is printed as lines)."""
    s = str(text)
    if keep_newlines:
        return "\n".join(_UNPRINTABLE.sub(_escape, line) for line in s.split("\n"))
    return _UNPRINTABLE.sub(_escape, s)


def shortened(text: object, limit: int = 80) -> str:
    """`printable(text)`, cut to about `limit` characters: how a message quotes what a user typed
    (an argument of 126 KB is not echoed back whole)."""
    s = printable(text)
    return s if len(s) <= limit else f"{s[: limit - 1]}… ({len(s):,} characters)"


def first_line(error: object) -> str:
    """The first line of an error's message, printable: what a one-line error quotes of it."""
    lines = str(error).strip().splitlines()
    return printable(lines[0]) if lines else type(error).__name__


_MARKDOWN = re.compile(r"([\\`*_\[\]<>|#!~()])")


def markdown(text: object) -> str:
    """`printable(text)` inside markdown (a table cell of a run's artifact in Prefect's UI): every
    character markdown acts on escaped, so a file name shows as itself, never as a link or emphasis."""
    return _MARKDOWN.sub(r"\\\1", printable(text))


def json_text(value: object) -> str:
    """`value` as one line of JSON, non-ASCII text kept, but every character `printable` would
    escape written as a `\\u` escape: the same JSON to a parser, nothing a terminal acts on (json
    itself escapes only the C0 controls, and leaves a lone surrogate that cannot be encoded)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
