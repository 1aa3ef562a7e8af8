"""Finding the inputs of a run and parsing them in batches (decode + extract per file)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import replace
from pathlib import Path

from . import faults
from .decode import sha256
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


def parse_files(raw_dir: Path, files: list[str], known: Collection[str] = ()) -> list[ParsedDocument]:
    """Parse each file; a file that cannot even be read is a rejected document, not an error.

    A file whose sha256 is in `known` is not parsed: it comes back with only its name, hash
    and size, and `reused` set, for the caller to fill from what the warehouse holds.
    """
    parsed = []
    for name in files:
        try:
            data = (Path(raw_dir) / name).read_bytes()
        except OSError as exc:
            # No content to hash: hash the name, so two unreadable files are not "duplicates".
            doc = ParsedDocument(source_file=name, sha256=sha256(name.encode()), n_bytes=0)
            doc.rejected_check, doc.rejected_reason = "unreadable", f"The file cannot be read: {exc.strerror}."
            parsed.append(doc)
            continue
        digest = sha256(data)
        if digest in known:
            parsed.append(ParsedDocument(source_file=name, sha256=digest, n_bytes=len(data), reused=True))
        else:
            parsed.append(parse_bytes(data, name))
        faults.pause_point("parse")
    return parsed


def fill_reused(parsed: list[ParsedDocument], known: dict[str, ParsedDocument]) -> list[ParsedDocument]:
    """Replace each reused stub by the stored document of the same content, under its own name."""
    return [replace(known[d.sha256], source_file=d.source_file) if d.reused else d for d in parsed]
