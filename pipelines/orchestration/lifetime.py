"""The processes a run starts end with it, however it ends; and `serve` leaves no folder behind.

A run killed with SIGKILL unwinds nothing: no `finally`, no atexit. Its temporary Prefect server
would keep serving (about 220 MB), and its parse workers, spawned by a process pool, would wait
for work forever. So the server asks the kernel to kill it when its parent ends (Linux's
parent-death signal, set by the small launcher `command` puts before it), and each parse worker
watches its parent from a thread of its own (`watch_parent`, a pool's initializer: the
parent-death signal follows the thread that started a process, and a pool may start its workers
from any thread).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

_LINUX = sys.platform.startswith("linux")
# A Python that asks for SIGKILL when its parent ends (PR_SET_PDEATHSIG = 1, kept across exec),
# ends at once if the parent ended already, and then becomes the real command. (Set after the
# fork in a process of its own, not in a preexec_fn, which is not safe in a process with threads.)
_DIES_WITH_PARENT = (
    "import ctypes, os, signal, sys; ctypes.CDLL(None).prctl(1, signal.SIGKILL); "
    "os.getppid() == int(sys.argv[1]) or os._exit(1); os.execv(sys.executable, [sys.executable, *sys.argv[2:]])"
)
POLL_SECONDS = 1.0


def command(args: list[str]) -> list[str]:
    """`python ARGS` as a command that the kernel kills when this process ends (on Linux; elsewhere
    only the caller's own clean-up stops it)."""
    if _LINUX:
        return [sys.executable, "-c", _DIES_WITH_PARENT, str(os.getpid()), *args]
    return [sys.executable, *args]


def watch_parent(parent: int) -> None:
    """In a worker: end this process once `parent` is no longer its parent (it died, and the
    worker was handed to another)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="ncmec-watch-parent", daemon=True).start()


def serve(deployment: RunnerDeployment) -> None:
    """Prefect's `serve` until Ctrl-C, with the temporary folder of this process a folder of its
    own, removed however serving ends. Prefect's runner keeps a folder in the temporary folder
    (runner_storage/<uuid>) that a Ctrl-C left behind, one more each time serve stopped
    (tests/test_operations.py)."""
    from prefect import serve as prefect_serve

    own = tempfile.mkdtemp(prefix="ncmec-serve-")
    before, tempfile.tempdir = tempfile.tempdir, own
    try:
        prefect_serve(deployment)
    finally:
        tempfile.tempdir = before
        shutil.rmtree(own, ignore_errors=True)
