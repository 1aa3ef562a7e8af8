"""One writer per warehouse, and readers that wait out a load.

A run holds an exclusive `flock` on `<db>.lock` from before it parses until its load commits.
The kernel drops the lock when the process ends, however it ends (even SIGKILL), so a crashed
run never leaves the warehouse locked. The file names the holder for the message a second
run prints. DuckDB's own file lock is held only while the load transaction runs; readers that
meet it retry for a while.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TypeVar

T = TypeVar("T")


class WarehouseBusy(Exception):
    """Another process holds the warehouse; the message names it and says what to do."""


def _describe(holder: dict) -> str:
    if not holder:
        return "another ncmec run"
    return (f"ncmec run pid {holder.get('pid')} on {holder.get('host')} "
            f"(started {holder.get('started_at')}: {holder.get('command')})")


@dataclass(frozen=True)
class RunLock:
    """The writer lock of one warehouse, held: what a run passes to the steps that need it."""

    path: Path

    def check(self, db_path: Path) -> None:
        if self.path != _lock_path(db_path):
            raise RuntimeError(f"the lock held is {self.path}, not {db_path}'s")


def _lock_path(db_path: Path) -> Path:
    return Path(f"{db_path}.lock").resolve()


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
    lock_path = _lock_path(db_path)
    with open(lock_path, "a+", encoding="utf-8") as handle:
        _acquire(handle, db_path, wait, poll)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                                 "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])}))
        handle.flush()
        try:
            yield RunLock(lock_path)
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)


def wait_until_free(db_path: Path, wait: float = 0.0, poll: float = 0.5) -> None:
    """Wait up to `wait` seconds until no run holds the warehouse, else raise WarehouseBusy; the
    lock is let go again at once. `ncmec run` asks this before it starts Prefect (seconds), so
    that a busy warehouse fails at once, in one line; the run then takes the lock itself."""
    with open(_lock_path(db_path), "a+", encoding="utf-8") as handle:
        _acquire(handle, db_path, wait, poll)
        fcntl.flock(handle, fcntl.LOCK_UN)


_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<prog>\S+) \(PID (?P<pid>\d+)\)")


def is_lock_error(exc: BaseException) -> bool:
    import duckdb  # here, not on import: parse workers import this module and never need DuckDB

    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def lock_holder(exc: BaseException) -> str:
    m = _LOCK_HOLDER.search(str(exc))
    return f"process {m.group('pid')} ({Path(m.group('prog')).name})" if m else "another process"


def retry_locked(action: Callable[[], T], seconds: float, first_delay: float = 0.1) -> T:
    """Call `action`, retrying with backoff while DuckDB's file lock is held elsewhere."""
    import duckdb

    deadline = time.monotonic() + seconds
    delay = first_delay
    while True:
        try:
            return action()
        except duckdb.IOException as exc:
            if not is_lock_error(exc) or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
