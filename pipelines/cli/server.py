"""`ncmec server start|stop|status`: the commands over pipelines/orchestration/server.py, mounted by
cli/commands.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from pipelines.core.printable import printable
from pipelines.orchestration import server

app = typer.Typer(help="This project's Prefect server, in the background: its UI shows the runs of `ncmec run`. "
                       "Its home (database, log) is .prefect/ in the current folder.", no_args_is_help=True)
out = Console(highlight=False, emoji=False)
err = Console(stderr=True, highlight=False, emoji=False)


def _fail(command: str, message: str, code: int) -> NoReturn:
    err.print(printable(f"ncmec server {command}: error: {message}"), markup=False, soft_wrap=True)
    raise typer.Exit(code)


def _describe(s: server.Server, state: str) -> None:
    out.print(printable(f"Prefect server {state} (pid {s.pid}), its home {s.home}"), markup=False, soft_wrap=True)
    for label, value in (("UI", s.ui_url), ("API", s.api_url), ("log", s.log)):
        out.print(printable(f"  {label:<4} {value}"), markup=False, soft_wrap=True)


@app.command()
def start(
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Its port on 127.0.0.1.")] = server.DEFAULT_PORT,
    timeout: Annotated[float, typer.Option("--timeout", min=1, metavar="SECONDS",
                                           help="How long to wait for it to answer.")] = server.START_TIMEOUT,
) -> None:
    """Start the server in the background and wait until it answers (10–20 s)."""
    try:
        started = server.start(server.home_dir(), port, timeout)
    except server.PortTaken:
        from pipelines.orchestration import holder

        _fail("start", holder.taken(port), 2)
    except server.ServerError as exc:
        _fail("start", str(exc), 2)
    _describe(started, "started")
    out.print("`ncmec run` uses it (unless PREFECT_API_URL is set); `ncmec server stop` stops it", markup=False,
              soft_wrap=True)


@app.command()
def stop() -> None:
    """Stop the server; exit 1 when none runs."""
    try:
        stopped = server.stop(server.home_dir())
    except server.ServerError as exc:
        _fail("stop", str(exc), 1)
    out.print(f"Prefect server stopped (pid {stopped.pid}, port {stopped.port})", markup=False)


def _others(home: Path) -> list[str]:
    """A line for each server that `ncmec server start` started from another folder."""
    from pipelines.orchestration import holder

    lines = []
    for h in holder.elsewhere(home):
        default = f"; it holds port {h.port}, which `ncmec server start` takes by default" \
            if h.port == server.DEFAULT_PORT else ""
        lines.append(f"  running from another folder: {holder.whose(h)}; `ncmec server status` there shows it"
                     + default)
    return lines


@app.command()
def status() -> None:
    """Whether the server runs, and its UI and API addresses; exit 1 when it does not run or answer
    (then servers started from other folders are named)."""
    home = server.home_dir()
    found = server.recorded(home)
    if found is None:
        out.print(printable(f"no Prefect server of this project is running ({home}); `ncmec server start` starts one"),
                  markup=False, soft_wrap=True)
        for line in _others(home):
            out.print(printable(line), markup=False, soft_wrap=True)
        raise typer.Exit(1)
    answering = server.healthy(found.port)
    _describe(found, "running" if answering else "not answering (starting, or stuck: see its log)")
    if not answering:
        raise typer.Exit(1)

