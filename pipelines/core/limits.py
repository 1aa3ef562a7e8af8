"""How much of an input a run reads: one place for the limits, and the reason a file over one gets.

A fact sheet is a few pages: about 6 KB of text, a PDF of a few hundred KB. The limits are far
above that and far below what would hurt a run: a file over its size limit is rejected
(`too_large`) by its size on disk, before more than its first four bytes (PDF or text?) are
read; a PDF is bounded by its pages, by what any one of its streams may decompress to, and by
the text its pages give.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KIB, MIB, GIB = 1024, 1024**2, 1024**3


@dataclass(frozen=True)
class Limits:
    text_bytes: int = 4 * MIB  # a text file's size on disk (and the text a PDF may give)
    pdf_bytes: int = 32 * MIB  # a PDF's size on disk
    pdf_pages: int = 50

    @property
    def pdf_stream_bytes(self) -> int:
        """What one stream of a PDF may decompress to (pypdf's limit, 75 MB by default): its text
        with the operators that place it, a few times the text itself."""
        return 4 * self.text_bytes


DEFAULT = Limits()

_UNITS = {"": 1, "b": 1, "k": KIB, "kb": 1000, "kib": KIB, "m": MIB, "mb": 1000**2, "mib": MIB,
          "g": GIB, "gb": 1000**3, "gib": GIB}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", re.IGNORECASE)


def parse_size(text: str) -> int:
    """'4MiB', '500KB', '2M', '1000000' as bytes (K, M, G alone are binary); ValueError otherwise."""
    m = _SIZE.fullmatch(text)
    if not m or m.group(2).lower() not in _UNITS:
        raise ValueError(f"'{text[:40]}' is not a size (say 4MiB, 500KB or a number of bytes)")
    size = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    if size < 1:
        raise ValueError(f"'{text[:40]}' is no size a file can have")
    return size


def size_text(n: int) -> str:
    """A size as people read it: 4 MiB, 300 KiB, 12 bytes."""
    for unit, scale in (("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} byte{'' if n == 1 else 's'}"


def too_large(size: int, limit: int, pdf: bool) -> str:
    kind, option = ("PDF", "--max-pdf-size") if pdf else ("text sheet", "--max-text-size")
    return (f"is {size_text(size)}, over the limit of {size_text(limit)} for a {kind} (a fact sheet is a "
            f"few KB), so it is not read; {option} raises the limit")
