"""A real scheduled run (issue 14): `prefect server start` on a free loopback port, `ncmec serve
--cron "* * * * *"` against it, and the run that the server's scheduler creates, end to end.

The server, `ncmec serve` and the check that no process is left behind: tests/scheduling.py,
which tests/test_scheduled_fetch.py shares.
"""

from __future__ import annotations

import json
import time

import httpx
import psutil
import pytest
from conftest import query
from realprocesses import environment, until
from scheduling import artifacts, completed, nothing_left, registered, start_serve, start_server, stop_serve

pytestmark = pytest.mark.scheduled

# The first scheduled run: the deployment registered, the scheduler's loop, the cron minute
# (up to 60 s), the runner's poll, then the run itself.
FIRST_RUN = 180
ARTIFACTS = {"ncmec-validation-summary", "ncmec-run-counts"}
SEED_FACTS = 31


def test_a_scheduled_run_completes_against_a_real_server(tmp_path, raw_dir, db_path, processes):
    home = tmp_path / "prefect-home"
    home.mkdir()
    env = environment(home)
    timings, t0 = {}, time.monotonic()
    children_before = {p.pid for p in psutil.Process().children(recursive=True)}

    port = start_server(processes, env, tmp_path)
    url = f"http://127.0.0.1:{port}/api"
    timings["server healthy"] = time.monotonic() - t0
    with httpx.Client(base_url=url, timeout=10, trust_env=False) as api:
        start_serve(processes, env, url, tmp_path, "--raw", str(raw_dir), "--db", str(db_path))
        deployment_id = registered(api, processes, "ncmec-warehouse")
        timings["deployment registered"] = time.monotonic() - t0
        run = until("a scheduled run COMPLETED", FIRST_RUN, lambda: completed(api, deployment_id, processes),
                    processes, "server", "serve")[0]
        timings["run completed"] = time.monotonic() - t0

        # Ctrl-C before anything else: it pauses the schedule, so no later run writes the
        # warehouse while it is read.
        stop_serve(processes)
        assert run["auto_scheduled"] and run["deployment_id"] == deployment_id, run  # the scheduler's, not a manual one

        assert query(db_path, "select count(*) from facts") == [(SEED_FACTS,)]
        # The run's row in the ledger names its flow run, and its page on this server.
        ledger = query(db_path, "select status, files_loaded, flow_run_url from load_runs where flow_run_id = ?",
                       [run["id"]])
        page = f"http://127.0.0.1:{port}/runs/flow-run/{run['id']}"
        assert ledger == [("completed", 2, page)], query(db_path, "select * from load_runs")

        published = artifacts(api, run["id"])
        assert ARTIFACTS <= published.keys(), sorted(published)
        counts = json.loads(published["ncmec-run-counts"]["data"])
        assert {"kind": "file status", "name": "loaded", "count": 2} in counts, counts

    processes.stop("server")
    timings["all stopped"] = time.monotonic() - t0
    nothing_left(processes, children_before, port)
    print(", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
