"""A test, in C, of whether a text holds two (or a few) characters side by side of given classes:
the first characters a pattern needs, where a regex would try the pattern at every position.

    _SEAM = Pairs({"a": ascii_lowercase, "A": ascii_uppercase, "0": digits}, ("aA", "a0", "0a"))
    if _SEAM.may_hold(text): ...   # False: no lower-case letter is followed by a capital, ...

Each character becomes its class's byte (`bytes.translate`, anything else a space) and the pairs
(or longer runs of classes) are looked for as substrings. Exact for ASCII text; a text that is not ASCII may hold them
(its letters and digits are more than these classes), so the pattern runs on it as before.
"""

from __future__ import annotations

from collections.abc import Iterable


class Pairs:
    def __init__(self, classes: dict[str, str], pairs: Iterable[str]):
        table = bytearray(b" " * 256)
        for name, members in classes.items():
            for c in members:
                table[ord(c)] = ord(name)
        self._table = bytes(table)
        self._pairs = tuple(p.encode("ascii") for p in pairs)

    def may_hold(self, text: str) -> bool:
        if not text.isascii():
            return True
        classes = text.encode("ascii").translate(self._table)
        return any(pair in classes for pair in self._pairs)
