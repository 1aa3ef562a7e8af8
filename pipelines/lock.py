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
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar

import duckdb

T = TypeVar("T")


class WarehouseBusy(Exception):
    """Another process holds the warehouse; the message names it and says what to do."""


def _describe(holder: dict) -> str:
    if not holder:
        return "another ncmec run"
    return (f"ncmec run pid {holder.get('pid')} on {holder.get('host')} "
            f"(started {holder.get('started_at')}: {holder.get('command')})")


# Locks this process holds, by lock file, with their depth: the CLI takes the lock before it
# starts Prefect (so a busy warehouse fails fast, in one line), and the flow, which takes it
# too for runs started any other way, then finds it already held.
_held: dict[Path, int] = {}


@contextmanager
def run_lock(db_path: Path, wait: float = 0.0, poll: float = 0.5) -> Iterator[None]:
    """Hold the warehouse's writer lock; wait up to `wait` seconds for it, else raise WarehouseBusy."""
    lock_path = Path(f"{db_path}.lock").resolve()
    if lock_path in _held:
        _held[lock_path] += 1
        try:
            yield
        finally:
            _held[lock_path] -= 1
        return
    handle = open(lock_path, "a+", encoding="utf-8")
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    try:
                        holder = json.loads(handle.read() or "{}")
                    except json.JSONDecodeError:
                        holder = {}
                    hint = f"waited {wait:g} s; " if wait else ""
                    raise WarehouseBusy(
                        f"{db_path} is being written by {_describe(holder)}; {hint}"
                        "try again when it finishes, or pass --wait SECONDS"
                    ) from None
                time.sleep(poll)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                 "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])}))
        handle.flush()
        _held[lock_path] = 1
        try:
            yield
        finally:
            del _held[lock_path]
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<prog>\S+) \(PID (?P<pid>\d+)\)")


def is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def lock_holder(exc: BaseException) -> str:
    m = _LOCK_HOLDER.search(str(exc))
    return f"process {m.group('pid')} ({Path(m.group('prog')).name})" if m else "another process"


def retry_locked(action: Callable[[], T], seconds: float, first_delay: float = 0.1) -> T:
    """Call `action`, retrying with backoff while DuckDB's file lock is held elsewhere."""
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
