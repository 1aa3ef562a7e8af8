"""A temporary Prefect server for a run when no server is configured, started as Prefect starts
its own (prefect/server/api/server.py: SubprocessASGIServer) but sooner.

Prefect imports its whole server (its API, ORM and database layers: about 2 s on these machines)
into the run's process only to find the class that starts a server in another process; the
server process then imports it all again. Started here, the run's process only waits for the
server to answer. Like Prefect's, the server serves no UI, so the run has no page to link to
(PREFECT_UI_URL is empty, as Prefect leaves it for its temporary server), and it stops when
the run ends, however the run ends (pipelines/orchestration/lifetime.py: SIGKILL included).
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from pipelines.orchestration import lifetime

# The project server's health check: proxies of the environment are not asked.
from pipelines.orchestration.prefect_api import HOST, healthy

# Prefect's own lines for its temporary server, on its logger, so that a run's output reads the same.
_LOG = logging.getLogger("prefect")
PORT_IN_USE = 3  # uvicorn's exit status when its port was taken meanwhile: try another


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _launch(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    import prefect

    _LOG.info("Starting temporary server on http://127.0.0.1:%d", port)
    return subprocess.Popen(
        lifetime.command(["-m", "uvicorn", "--app-dir", str(Path(prefect.__file__).parent.parent),
                  "--factory", "prefect.server.api.server:create_app", "--host", HOST, "--port", str(port),
                  "--log-level", "error", "--lifespan", "on"]),
        env={**os.environ, **env, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
             "PREFECT__SERVER_FINAL": "1"},
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    if process.poll() is None:
        process.kill()


def start(env: dict[str, str], timeout: float) -> tuple[subprocess.Popen[bytes], str]:
    """Start a server (its settings in `env`) and wait until it answers; returns it and its API URL."""
    deadline = time.monotonic() + timeout
    port = _free_port()
    process = _launch(port, env)
    while time.monotonic() < deadline:
        if process.poll() == PORT_IN_USE:
            port = _free_port()
            process = _launch(port, env)
        elif process.poll() is not None:
            break
        if healthy(port):
            return process, f"http://127.0.0.1:{port}/api"
        time.sleep(0.1)
    _stop(process)
    raise RuntimeError(f"the temporary Prefect server did not start within {timeout:g} s"
                       + (f" (it exited with status {process.returncode})" if process.returncode else ""))


def _drain() -> None:
    """Send what Prefect still holds (logs, events) while the server is up, as its test harness does."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        worker.drain_all(timeout=5)


@contextmanager
def temporary() -> Iterator[None]:
    """A temporary server for what runs inside, when Prefect would start one (no PREFECT_API_URL,
    temporary servers allowed); otherwise nothing."""
    from prefect.context import _temporary_global_settings_context, get_settings_context
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_SERVER_EPHEMERAL_ENABLED,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        PREFECT_UI_URL,
        get_current_settings,
        temporary_settings,
    )

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        yield
        return
    env = get_current_settings().to_environment_variables(exclude_unset=True)
    process, url = start(env, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
    atexit.register(_stop, process)  # should the run's process end without unwinding
    try:
        # Prefect's own server is a singleton that any thread finds; this one is a setting, so it
        # is made the process's too (as Prefect's test harness does), or a thread that starts
        # without this context (Prefect has a few) would start a server of its own.
        with temporary_settings(updates={PREFECT_API_URL: url, PREFECT_UI_URL: ""}), \
                _temporary_global_settings_context(get_settings_context()):
            yield
    finally:
        try:
            _drain()
        finally:
            _LOG.info("Stopping temporary server on %s", url.removesuffix("/api"))
            _stop(process)
