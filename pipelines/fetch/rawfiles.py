"""A fetched sheet into the raw folder, whole or not at all.

The bytes go to a hidden file beside the target (`.NAME.XXXXXXXX.fetching`, which a run never
reads: hidden entries are skipped), opened with O_CREAT | O_EXCL | O_NOFOLLOW, fsync'ed, then
renamed over the target (an atomic rename in one folder, whose entry is fsync'ed too). Every step
goes through a descriptor of the raw folder (dir_fd), so a path swapped meanwhile is never
followed. A target that is a symbolic link, a folder or anything but a regular file is never
replaced. What a killed fetch leaves behind is removed by the next one, which holds the
warehouse's writer lock, so no other fetch is writing then.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager

_LEFTOVER = re.compile(r"\..+\.[0-9a-f]{8}\.fetching")
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class NotReplaceable(Exception):
    """The target is not a regular file of the raw folder; the message says what it is."""


@contextmanager
def folder(raw: str) -> Iterator[int]:
    """A descriptor of the raw folder (following a link the user named as --raw, never one inside it)."""
    fd = os.open(raw, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield fd
    finally:
        os.close(fd)


def digest(dir_fd: int, name: str, limit: int) -> str | None:
    """SHA-256 of the regular file `name` (None when there is none); NotReplaceable when it is a
    link, a folder or another kind of file, or larger than `limit`."""
    info = _replaceable(dir_fd, name)
    if info is None:
        return None
    if info.st_size > limit:
        raise NotReplaceable("is larger than a sheet may be, so a fetch does not replace it")
    fd = os.open(name, _READ, dir_fd=dir_fd)
    try:
        sha = hashlib.sha256()
        while chunk := os.read(fd, 1 << 20):
            sha.update(chunk)
        return sha.hexdigest()
    finally:
        os.close(fd)


def _replaceable(dir_fd: int, name: str) -> os.stat_result | None:
    """The file `name` by lstat (None when there is none); NotReplaceable unless a regular file."""
    try:
        info = os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        what = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
        raise NotReplaceable(f"is {what}, which a fetch never replaces")
    return info


def replace(dir_fd: int, name: str, data: bytes) -> None:
    """Write `data` as `name`, in place of any regular file of that name, atomically."""
    _replaceable(dir_fd, name)  # NotReplaceable: a link, a folder, a FIFO
    temporary = f".{name}.{secrets.token_hex(4)}.fetching"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644,
                 dir_fd=dir_fd)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:
            os.unlink(temporary, dir_fd=dir_fd)
        except FileNotFoundError:
            pass
        raise
    os.fsync(dir_fd)


def remove_leftovers(dir_fd: int) -> list[str]:
    """Remove what a killed fetch left (its hidden temporary files); returns their names."""
    gone = []
    for name in os.listdir(dir_fd):
        if _LEFTOVER.fullmatch(name):
            try:
                if stat.S_ISREG(os.lstat(name, dir_fd=dir_fd).st_mode):
                    os.unlink(name, dir_fd=dir_fd)
                    gone.append(name)
            except FileNotFoundError:
                continue
    return gone
