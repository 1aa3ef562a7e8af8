"""Finding the inputs of a run and parsing them in batches (decode + extract per file)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .extract import ParsedDocument, parse_bytes


def discover(raw_dir: Path) -> list[str]:
    """Every regular, non-hidden file under the raw folder, as sorted paths relative to it.

    Nothing is skipped by its name's ending: a stray file is better rejected with a reason
    than silently ignored.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"the raw folder {raw_dir} does not exist")
    return sorted(
        p.relative_to(raw_dir).as_posix()
        for p in raw_dir.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(raw_dir).parts)
    )


def batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def parse_files(raw_dir: Path, files: list[str]) -> list[ParsedDocument]:
    """Parse each file; a file that cannot even be read is a rejected document, not an error."""
    parsed = []
    for name in files:
        try:
            data = (Path(raw_dir) / name).read_bytes()
        except OSError as exc:
            doc = parse_bytes(b"", name)
            doc.rejected_check, doc.rejected_reason = "unreadable", f"cannot be read: {exc.strerror}"
            parsed.append(doc)
            continue
        parsed.append(parse_bytes(data, name))
    return parsed
