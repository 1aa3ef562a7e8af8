"""Named pause points for crash tests.

The kill tests (tests/test_crash.py, and tests/test_outputs.py for `ncmec export`) start a
command with NCMEC_PAUSE_AT=<point> and NCMEC_PAUSE_FILE=<path>: at that point it writes the
file and sleeps, so the test can SIGKILL it there, exactly. Unset (always, outside those
tests), a pause point does nothing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

POINTS = ("parse", "load", "after_commit", "export", "export_swap")


def pause_point(name: str) -> None:
    if os.environ.get("NCMEC_PAUSE_AT") != name:
        return
    Path(os.environ["NCMEC_PAUSE_FILE"]).write_text(f"{os.getpid()} {name}\n")
    time.sleep(float(os.environ.get("NCMEC_PAUSE_SECONDS", "600")))
