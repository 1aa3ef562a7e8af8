"""One writer per warehouse, and readers that wait out a load.

A run holds an exclusive `flock` on `<db>.lock` from before it parses until its load commits.
The kernel drops the lock when the process ends, however it ends (even SIGKILL), so a crashed
run never leaves the warehouse locked. The file names the holder for the message a second
run prints. It is opened without following a symbolic link and must be a regular file with no
other name: the run truncates it, so a link planted there would empty its target.

DuckDB's own file lock is held only while the load transaction runs; readers that meet it say
so at once, naming the run they wait for, and retry for a while.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import socket
import stat
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TypeVar

from pipelines.core.printable import printable, shortened

T = TypeVar("T")


class WarehouseBusy(Exception):
    """Another process holds the warehouse; the message names it and says what to do."""


class LockFileError(Exception):
    """The lock file is not one a run may write (a link, a folder, a FIFO); the message says what to do."""


def _describe(holder: dict) -> str:
    if not holder:
        return "another ncmec run"
    return printable(f"ncmec run pid {holder.get('pid')} on {holder.get('host')} "
                     f"(started {holder.get('started_at')}: {shortened(holder.get('command'), 200)})")


@dataclass(frozen=True)
class RunLock:
    """The writer lock of one warehouse, held: what a run passes to the steps that need it."""

    path: Path

    def check(self, db_path: Path) -> None:
        if self.path != _lock_path(db_path):
            raise RuntimeError(f"the lock held is {self.path}, not {db_path}'s")


def _lock_path(db_path: Path) -> Path:
    # The warehouse's own path resolved (every run of one file meets the same lock), the lock's not:
    # a symbolic link at `<db>.lock` is refused by `_open`, never followed.
    return Path(f"{os.path.realpath(db_path)}.lock")


def _open(db_path: Path) -> IO[str]:
    """The lock file, created if need be, opened read-write without following a link (O_NOFOLLOW)
    and without waiting on a FIFO (O_NONBLOCK); anything but a regular file of one name is refused."""
    path = _lock_path(db_path)
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        what = {errno.ELOOP: "is a symbolic link, which a run never writes through",
                errno.EISDIR: "is a folder"}.get(exc.errno or 0)
        if what:
            raise LockFileError(f"the lock file {printable(path)} {what}: remove it (nothing else uses it)") from None
        raise LockFileError(f"cannot open the lock file {printable(path)}: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        what = "has other names (hard links)" if stat.S_ISREG(info.st_mode) else "is not a regular file"
        raise LockFileError(f"the lock file {printable(path)} {what}; a run truncates it, so it must be its own: "
                            "remove it (nothing else uses it)")
    return os.fdopen(fd, "r+", encoding="utf-8")


def _busy(handle: IO[str], db_path: Path, wait: float) -> WarehouseBusy:
    handle.seek(0)
    try:
        holder = json.loads(handle.read() or "{}")
    except json.JSONDecodeError:
        holder = {}
    hint = f"waited {wait:g} s; " if wait else ""
    return WarehouseBusy(f"{db_path} is being written by {_describe(holder)}; {hint}"
                         "try again when it finishes, or pass --wait SECONDS")


def _acquire(handle: IO[str], db_path: Path, wait: float, poll: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise _busy(handle, db_path, wait) from None
            time.sleep(poll)


@contextmanager
def run_lock(db_path: Path, wait: float = 0.0, poll: float = 0.5) -> Iterator[RunLock]:
    """Hold the warehouse's writer lock; wait up to `wait` seconds for it, else raise WarehouseBusy."""
    with _open(db_path) as handle:
        _acquire(handle, db_path, wait, poll)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                                 "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])}))
        handle.flush()
        try:
            yield RunLock(_lock_path(db_path))
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)


def wait_until_free(db_path: Path, wait: float = 0.0, poll: float = 0.5) -> None:
    """Wait up to `wait` seconds until no run holds the warehouse, else raise WarehouseBusy; the
    lock is let go again at once. `ncmec run` asks this before it starts Prefect (seconds), so
    that a busy warehouse fails at once, in one line; the run then takes the lock itself."""
    with _open(db_path) as handle:
        _acquire(handle, db_path, wait, poll)
        fcntl.flock(handle, fcntl.LOCK_UN)


def holder(db_path: Path) -> str | None:
    """The run that holds the writer lock, as its lock file names it (read, never locked nor
    created), or None when no run is named there."""
    try:
        fd = os.open(_lock_path(db_path), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, encoding="utf-8", errors="replace") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        try:
            named = json.loads(handle.read(4096) or "{}")
        except json.JSONDecodeError:
            return None
    return _describe(named) if isinstance(named, dict) and named else None


_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<prog>\S+) \(PID (?P<pid>\d+)\)")


def is_lock_error(exc: BaseException) -> bool:
    import duckdb  # here, not on import: every command imports this module, `ncmec status` too

    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def lock_holder(exc: BaseException) -> str:
    m = _LOCK_HOLDER.search(str(exc))
    return f"process {m.group('pid')} ({Path(m.group('prog')).name})" if m else "another process"


def retry_locked(action: Callable[[], T], seconds: float, first_delay: float = 0.1,
                 on_wait: Callable[[BaseException], None] | None = None) -> T:
    """Call `action`, retrying with backoff while DuckDB's file lock is held elsewhere;
    `on_wait(error)` is called once, when the first attempt meets the lock."""
    import duckdb

    deadline = time.monotonic() + seconds
    delay = first_delay
    while True:
        try:
            return action()
        except duckdb.IOException as exc:
            if not is_lock_error(exc) or time.monotonic() + delay > deadline:
                raise
            if on_wait is not None and delay == first_delay:
                on_wait(exc)
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
