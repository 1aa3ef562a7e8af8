"""The tests that start real processes (tests/realprocesses.py, test_operations): their Ctrl-C
reaches the process even when pytest was started with SIGINT ignored, as a shell starts a
background job (`make test &` in a script). Without it, `ncmec serve` never saw the test's Ctrl-C
and the scheduled-run test failed after 60 s, "serve did not stop"."""

from __future__ import annotations

import os
import signal
import sys

from realprocesses import deliver_sigint, until


def test_the_harness_s_ctrl_c_reaches_a_child_when_pytest_ignores_it(tmp_path, processes):
    waits = "import time; print('up', flush=True); time.sleep(60)"
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        deliver_sigint()  # as tests/conftest.py does first
        processes.start("sleeper", [sys.executable, "-c", waits], dict(os.environ), tmp_path)
    finally:
        signal.signal(signal.SIGINT, before)
    log = tmp_path / "logs" / "sleeper.log"
    # Python's own SIGINT handler is in place once it runs code.
    until("the sleeper running", 30, lambda: "up" in log.read_text(), processes, "sleeper", every=0.1)
    assert processes.stop("sleeper", timeout=10) == -signal.SIGINT  # KeyboardInterrupt, not a kill
