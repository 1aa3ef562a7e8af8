"""`ncmec server start|stop|status`: the project's Prefect server, and `ncmec run` and `ncmec
serve` using it.

The real tests start the server with the venv's `ncmec` in a project folder under the test's
temporary folder (so its Prefect home, `.prefect/`, is there too), run the flow on the two
seeds or serve it, and stop it; every process is watched (tests/realprocesses.py), so they can
show that none is left behind and the port is free again. The others need no server: a
stand-in answers as Prefect's API does, or stands for the server's process.
"""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from conftest import query
from realprocesses import BIN, SERVER_START, environment, free_port, healthy, port_open, until
from typer.testing import CliRunner

from pipelines.cli.commands import app
from pipelines.orchestration import server

runner = CliRunner()
RUN = 300  # seconds: `ncmec run` imports Prefect, then the run itself against the server


def _ncmec(processes, name: str, args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """A real `ncmec` command, watched while it runs; its exit code and output (stdout and stderr)."""
    proc = processes.start(name, [str(BIN / "ncmec"), *args], env, cwd)
    until(f"ncmec {' '.join(args)} returning", RUN, lambda: proc.poll() is not None, processes, every=0.5)
    return proc.returncode, (processes.logs / f"{name}.log").read_text(errors="replace")


def _start(processes, env: dict[str, str], project: Path) -> int:
    """`ncmec server start` on a free port; returns the port. The port is free when chosen but
    bound only after the server's imports: if another process took it meanwhile, another is tried."""
    for attempt in range(3):
        port = free_port()
        code, output = _ncmec(processes, f"start{attempt}", ["server", "start", "--port", str(port)], env, project)
        if code == 0 or "in use" not in output:
            break
    assert code == 0, output
    state = json.loads((project / ".prefect" / server.STATE).read_text())
    processes.adopt(state["pid"])  # the server runs on after `start` returned: watch it and its children
    assert state["port"] == port and f"UI   http://127.0.0.1:{port}\n" in output, output
    return port


@pytest.mark.server
def test_a_run_uses_the_project_server_which_then_stops(tmp_path, raw_dir, db_path, processes):
    project = tmp_path / "project"
    project.mkdir()
    env = environment(tmp_path / "client-home")  # no PREFECT_API_URL: `ncmec run` chooses the server

    port = _start(processes, env, project)
    assert healthy(port)
    code, output = _ncmec(processes, "status", ["server", "status"], env, project)
    assert code == 0 and "Prefect server running" in output, output
    assert f"http://127.0.0.1:{port}\n" in output and f"http://127.0.0.1:{port}/api\n" in output, output
    code, output = _ncmec(processes, "again", ["server", "start", "--port", str(port)], env, project)
    assert code == 2 and "already runs" in output, output
    # From another folder the server is not that folder's, and the port is not "another program's".
    other = tmp_path / "other"
    other.mkdir()
    pid = json.loads((project / ".prefect" / server.STATE).read_text())["pid"]
    code, output = _ncmec(processes, "other-start", ["server", "start", "--port", str(port)], env, other)
    assert code == 2 and output.count("\n") == 1, output
    assert (f"port {port} on 127.0.0.1 is held by the ncmec server of {project} (its home {project / '.prefect'}, "
            f"pid {pid}, UI http://127.0.0.1:{port}): use it from that folder") in output, output
    assert not (other / ".prefect" / server.STATE).exists()
    code, output = _ncmec(processes, "other-status", ["server", "status"], env, other)
    assert code == 1 and "no Prefect server of this project is running" in output, output
    assert f"running from another folder: the ncmec server of {project} (" in output, output

    code, output = _ncmec(processes, "run", ["run", "--raw", str(raw_dir), "--db", str(db_path)], env, project)
    assert code == 0, output
    assert f"Prefect server: this project's (ncmec server), UI http://127.0.0.1:{port}" in output, output
    # The ledger links the run to its page in this server's UI: the run was recorded there.
    ((flow_run_id, url),) = query(db_path, "select flow_run_id, flow_run_url from load_runs")
    assert url == f"http://127.0.0.1:{port}/runs/flow-run/{flow_run_id}"

    code, output = _ncmec(processes, "stop", ["server", "stop"], env, project)
    assert code == 0 and f"port {port}" in output, output
    assert processes.alive() == []
    assert not port_open(port), f"port {port} still open after the server stopped"
    assert not (project / ".prefect" / server.STATE).exists()
    assert (project / ".prefect" / server.LOG).stat().st_size > 0
    code, output = _ncmec(processes, "status-after", ["server", "status"], env, project)
    assert code == 1 and "no Prefect server of this project is running" in output, output


REGISTER = 120  # seconds: `ncmec serve` imports Prefect and the flow, then registers the deployment


def _scheduled_runs(api: httpx.Client, name: str) -> list[dict]:
    """The runs the server's scheduler created for the deployment (none while it is unknown)."""
    response = api.get(f"/deployments/name/ncmec-warehouse/{name}")
    if response.status_code == 404:
        return []
    deployment_id = response.raise_for_status().json()["id"]
    runs = api.post("/flow_runs/filter", json={"deployments": {"id": {"any_": [deployment_id]}}, "offset": 0,
                                               "limit": 10}).raise_for_status().json()
    return [r for r in runs if r["auto_scheduled"] and r["state_type"] == "SCHEDULED"]


@pytest.mark.server
def test_serve_uses_the_project_server(tmp_path, raw_dir, db_path, processes):
    """`ncmec serve` without PREFECT_API_URL, where `ncmec server` runs: it serves there, and the
    server's scheduler schedules its runs (the cron wait itself is tests/test_scheduled.py's)."""
    project = tmp_path / "project"
    project.mkdir()
    env = environment(tmp_path / "client-home")
    port = _start(processes, env, project)
    processes.start("serve", [str(BIN / "ncmec"), "serve", "--name", "weekly-here", "--raw", str(raw_dir),
                              "--db", str(db_path)], env, project)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}/api", timeout=10, trust_env=False) as api:
        runs = until("the project's server scheduling the runs of `ncmec serve`", REGISTER,
                     lambda: _scheduled_runs(api, "weekly-here"), processes, "serve")
    assert runs[0]["expected_start_time"].endswith("T06:00:00Z"), runs  # "0 6 * * 1", UTC
    assert processes.stop("serve") == 0, processes.tail("serve")
    output = (processes.logs / "serve.log").read_text(errors="replace")
    assert f"Prefect server: this project's (ncmec server), UI http://127.0.0.1:{port}\n" in output, output
    assert f"against http://127.0.0.1:{port}/api; Ctrl-C stops" in output and "Traceback" not in output, output

    code, output = _ncmec(processes, "stop", ["server", "stop"], env, project)
    assert code == 0, output
    assert processes.alive() == []
    assert not port_open(port), f"port {port} still open after the server stopped"


def test_status_and_stop_without_a_server(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status = runner.invoke(app, ["server", "status"])
    assert status.exit_code == 1 and "no Prefect server of this project is running" in status.stdout
    stop = runner.invoke(app, ["server", "stop"])
    assert stop.exit_code == 1
    assert stop.stderr.startswith("ncmec server stop: error: no Prefect server of this project is running")
    assert not (tmp_path / ".prefect").exists()


def test_start_refuses_a_port_that_another_program_holds(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = runner.invoke(app, ["server", "start", "--port", str(port)])
    assert result.exit_code == 2
    assert f"port {port} on 127.0.0.1 is in use by another program" in result.stderr
    assert not (tmp_path / ".prefect" / server.STATE).exists()


@pytest.fixture
def stand_in(monkeypatch):
    """`server.start` launches this Python code instead of Prefect's server; the processes it
    launched are listed. Its command line names prefect, as the server's does."""
    launched: list[subprocess.Popen] = []

    def use(code: str) -> list[subprocess.Popen]:
        def launch(home: Path, port: int) -> subprocess.Popen:
            with open(home / server.LOG, "wb") as log:
                launched.append(subprocess.Popen([sys.executable, "-c", code, "prefect"], stdout=log,
                                                 stderr=subprocess.STDOUT, start_new_session=True))
            return launched[-1]

        monkeypatch.setattr(server, "_launch", launch)
        return launched

    yield use
    for proc in launched:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_server_that_does_not_answer_in_time_is_stopped(tmp_path, stand_in):
    launched = stand_in("import time; time.sleep(600)")
    home = tmp_path / ".prefect"
    stopped = r"did not answer .* after 1 s \(--timeout 1\), so it was stopped"
    with pytest.raises(server.ServerError, match=stopped) as caught:
        server.start(home, free_port(), timeout=1)
    assert str(home / server.LOG) in str(caught.value)
    assert launched[0].poll() is not None  # ended, and reaped
    assert not (home / server.STATE).exists() and not (home / server.PREFECT_PID).exists()


def test_a_server_that_exits_at_start_names_its_log(tmp_path, stand_in):
    stand_in("import sys; print('Port 4200 is already in use.'); sys.exit(3)")
    home = tmp_path / ".prefect"
    with pytest.raises(server.ServerError) as caught:
        server.start(home, free_port(), timeout=SERVER_START)
    message = str(caught.value)
    assert message.startswith("the Prefect server exited (code 3) before it answered")
    assert f"its log is {home / server.LOG}" in message and "Port 4200 is already in use." in message
    assert not (home / server.STATE).exists()


@pytest.fixture
def stand_in_api():
    """A stand-in for a Prefect server's API on a free loopback port, in this process (which is
    then the port's listening process): /api/health, and /api/admin/settings naming the home that
    `serve(home)` gives. Yields `serve`; returns the port."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def serve(home: Path) -> int:
        class Api(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = {"/api/health": True, "/api/admin/settings": {"home": str(home)}}.get(self.path)
                self.send_response(404 if body is None else 200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(body).encode())

            def log_message(self, *args):
                pass

        api = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
        threading.Thread(target=api.serve_forever, daemon=True).start()
        servers.append(api)
        return api.server_address[1]

    yield serve
    for api in servers:
        api.shutdown()
        api.server_close()


@pytest.mark.parametrize("recorded", [True, False], ids=["ncmec's", "prefect's"])
def test_start_says_whose_server_holds_the_port(recorded, tmp_path, monkeypatch, stand_in_api):
    """From another folder, the server of the folder `ncmec server start` ran in (or a Prefect
    server of someone else's) is named with its home, pid and UI: no "another program"."""
    (tmp_path / "here").mkdir()
    there = tmp_path / "there" / ".prefect"
    there.mkdir(parents=True)
    port = stand_in_api(there)
    if recorded:  # what `ncmec server start` there wrote: the listening process (this one) and the port
        (there / server.STATE).write_text(json.dumps({"pid": os.getpid(), "port": port}))
    monkeypatch.chdir(tmp_path / "here")
    result = runner.invoke(app, ["server", "start", "--port", str(port)])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
    whose = (f"the ncmec server of {there.parent} (its home {there}, pid {os.getpid()}, UI http://127.0.0.1:{port}): "
             "use it from that folder (`ncmec server status` there), stop it there with `ncmec server stop`, or "
             "start this folder's own with --port" if recorded else
             f"a Prefect server that `ncmec server start` did not start (its home {there}, pid {os.getpid()}, "
             f"UI http://127.0.0.1:{port}): stop it, or choose another port with --port")
    assert result.stderr == f"ncmec server start: error: port {port} on 127.0.0.1 is held by {whose}\n"
    assert "another program" not in result.stderr
    assert not (tmp_path / "here" / ".prefect").exists()


def test_the_server_skips_the_block_catalogue_unless_asked(tmp_path, monkeypatch):
    """Registering Prefect's block types cost 2 of a first start's 10 s; the product uses none."""
    monkeypatch.delenv("PREFECT_API_BLOCKS_REGISTER_ON_START", raising=False)
    env = server._environment(tmp_path / ".prefect", 4321)
    assert env["PREFECT_API_BLOCKS_REGISTER_ON_START"] == "false"
    assert env["PREFECT_HOME"] == str(tmp_path / ".prefect") and env["PREFECT_API_URL"] == "http://127.0.0.1:4321/api"
    monkeypatch.setenv("PREFECT_API_BLOCKS_REGISTER_ON_START", "true")
    assert server._environment(tmp_path / ".prefect", 4321)["PREFECT_API_BLOCKS_REGISTER_ON_START"] == "true"


def test_start_shows_its_progress_and_its_timeout_says_how_long_and_where_the_log_is(tmp_path, monkeypatch,
                                                                                   stand_in):
    """Not on a terminal (this runner's stderr): a line when the server is launched, one every
    LINE_EVERY seconds with the seconds waited, then the timeout in one line."""
    from pipelines.cli import server as cli_server

    stand_in("import time; time.sleep(600)")
    monkeypatch.setattr(cli_server, "LINE_EVERY", 0.5)
    monkeypatch.chdir(tmp_path)
    port = free_port()
    result = runner.invoke(app, ["server", "start", "--port", str(port), "--timeout", "2"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == f"starting the Prefect server on port {port} (first start here: about {server.TYPICAL_FIRST} s)"
    assert lines[1:-1] and all(line.startswith("  waiting for it to answer: ") for line in lines[1:-1]), lines
    assert lines[-1].startswith(f"ncmec server start: error: the Prefect server did not answer on "
                                f"http://127.0.0.1:{port}/api after 2 s (--timeout 2), so it was stopped; its log is "
                                f"{tmp_path / '.prefect' / server.LOG}"), lines
    help_text = runner.invoke(app, ["server", "start", "--help"], env={"COLUMNS": "200"}).stdout
    assert f"a first start in a folder takes about {server.TYPICAL_FIRST} s" in " ".join(help_text.split())
