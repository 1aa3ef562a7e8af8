"""Finding the inputs of a run and parsing them in batches (decode + extract per file)."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pipelines.core import faults
from pipelines.core.documents import Batch, ParsedDocument
from pipelines.core.limits import DEFAULT, Limits, too_large
from pipelines.core.rejection import Rejected
from pipelines.extract.sheet import parse_bytes
from pipelines.read.decode import sha256

T = TypeVar("T")


def discover(raw_dir: Path) -> list[str]:
    """Every non-hidden entry under the raw folder but its folders, as sorted paths relative to it.

    Nothing is skipped by its kind or its name's ending: a symbolic link, a FIFO or a stray file
    is better rejected with a reason (`read_input`) than silently ignored. Folders linked in by a
    symlink are not entered (each such link is rejected); a folder that cannot be listed is
    skipped. os.scandir, not rglob: ten times faster over 50,000 files, which matters because a
    no-change re-run is little more than this.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"the raw folder {raw_dir} does not exist")
    found: list[str] = []
    folders = [(str(raw_dir), "")]
    while folders:
        folder, prefix = folders.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        folders.append((entry.path, f"{prefix}{entry.name}/"))
                    else:
                        found.append(prefix + entry.name)
        except PermissionError:
            continue
    return sorted(found)


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (a named pipe)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))
# Never follows a link at the last step, never blocks on a FIFO swapped in after the lstat.
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def _kind(mode: int) -> str:
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def _target(raw_dir: str, path: str) -> str:
    """Where a symbolic link in the raw folder leads, if that is somewhere in the folder."""
    try:
        target = os.path.realpath(path, strict=True)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Rejected("not_a_file", "is a loop of symbolic links, which leads to no file") from None
        raise Rejected("not_a_file", "is a symbolic link to nothing (what it names does not exist)") from None
    root = os.path.realpath(raw_dir)
    if os.path.commonpath([root, target]) != root:
        raise Rejected("outside_raw", "is a symbolic link that leads outside the raw folder, which a run does not "
                                     "follow; copy the file into the folder instead")
    return target


def _checked(raw_dir: str, name: str) -> str:
    """The path to open for `name`, once its kind (by lstat, not opening it) allows it."""
    path = os.path.join(raw_dir, name)
    try:
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            path = _target(raw_dir, path)
            mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise Rejected("unreadable", "was removed while the run read the folder") from None
    if not stat.S_ISREG(mode):
        raise Rejected("not_a_file", f"is {_kind(mode)}, not a regular file, so it is not opened")
    return path


def _read_all(fd: int, most: int) -> bytes:
    """Up to `most` bytes from the descriptor's position, fewer only at the end of the file (a
    read may return less than asked). os.read, not a file object: a run reads every file of the
    raw folder, and the buffered reader cost more than the read."""
    data = os.read(fd, most)
    if not data or len(data) == most:
        return data
    parts, got = [data], len(data)
    while got < most and (more := os.read(fd, most - got)):
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def read_input(raw_dir: Path | str, name: str, limits: Limits = DEFAULT) -> bytes:
    """The bytes of one input, or `Rejected`: only a regular file in the raw folder, within its
    size limit (fstat, before more than its first four bytes are read, and those only when the
    size alone does not say it is within both limits); a file that changes
    size while it is read is refused too, never half read."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise Rejected("file_name", "has a name that is not valid UTF-8 (shown with its bytes escaped), which the "
                                   "warehouse cannot store; rename it") from None
    try:
        fd = os.open(_checked(str(raw_dir), name), _OPEN_FLAGS)
    except OSError as exc:
        raise Rejected("unreadable", f"cannot be read: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # swapped after the lstat
            raise Rejected("not_a_file", f"is {_kind(info.st_mode)}, not a regular file, so it is not read")
        try:
            if info.st_size > min(limits.pdf_bytes, limits.text_bytes):
                pdf = os.pread(fd, 4, 0) == b"%PDF"  # which limit: a PDF's or a text's
                limit = limits.pdf_bytes if pdf else limits.text_bytes
                if info.st_size > limit:
                    raise Rejected("too_large", too_large(info.st_size, limit, pdf), info.st_size)
            data = _read_all(fd, info.st_size + 1)  # a byte more, if it grew
        except OSError as exc:
            raise Rejected("unreadable", f"cannot be read: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(data) != info.st_size:
        raise Rejected("unreadable", "changed while the run read it (is it being written?); the next run reads it")
    return data


def storable(name: str) -> str:
    """A file name as the warehouse stores it: bytes that are not UTF-8 escaped (\\xff)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def batches(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class ParsedBatch:
    documents: Batch
    timings: dict[str, float] = field(default_factory=dict)  # seconds in "decode", "extract"


def unread(name: str, exc: Rejected) -> ParsedDocument:
    """The document of a file that is not read. No content to hash: the name is hashed, so two
    such files are not "duplicates"."""
    shown = storable(name)
    return ParsedDocument(source_file=shown, sha256=sha256(shown.encode()), n_bytes=exc.n_bytes,
                          rejected_check=exc.check, rejected_reason=f"The file {exc.reason}.")


def _read_each(raw_dir: Path, files: list[str], limits: Limits) -> Iterator[tuple[str, bytes | ParsedDocument]]:
    """Each file's bytes, or the rejected document of a file that is not read, one at a time."""
    for name in files:
        try:
            yield name, read_input(raw_dir, name, limits)
        except Rejected as exc:
            yield name, unread(name, exc)


def inventory(raw_dir: Path, files: list[str], limits: Limits = DEFAULT) -> list[ParsedDocument]:
    """Each file's name, sha256 and size (unparsed), or its rejection when it is not read."""
    return [data if isinstance(data, ParsedDocument) else
            ParsedDocument(source_file=name, sha256=sha256(data), n_bytes=len(data))
            for name, data in _read_each(raw_dir, files, limits)]


def parse_files(raw_dir: Path, files: list[str], digests: dict[str, str] | None = None,
                limits: Limits = DEFAULT) -> ParsedBatch:
    """Parse each file; a file that is not read is a rejected document, not an error.

    `digests` are the files' sha256 from the inventory: a file is hashed once a run. (It is read
    twice: the inventory must hash every file before the run knows which to parse, and holding
    the bytes of 50,000 files between the two would cost more than reading them again.)"""
    parsed, timings = Batch(), {"decode": 0.0, "extract": 0.0}
    for name, data in _read_each(raw_dir, files, limits):
        if isinstance(data, ParsedDocument):
            parsed.add(data)
            continue
        parsed.add(parse_bytes(data, name, timings, (digests or {}).get(name), limits))
        faults.pause_point("parse")
    return ParsedBatch(parsed, timings)


def parse_path(path: Path, limits: Limits = DEFAULT) -> ParsedDocument:
    """One file named by the user (`ncmec parse`), by the rules of a raw folder's: a regular file
    (a link the user named is followed), within the limits; the document is named by its file name."""
    real = Path(os.path.realpath(path))
    try:
        data = read_input(real.parent, real.name, limits)
    except Rejected as exc:
        return unread(path.name, exc)
    return parse_bytes(data, storable(path.name), limits=limits)
