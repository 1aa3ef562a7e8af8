"""`ncmec server start|stop|status`: the commands over pipelines/orchestration/server.py, mounted by
cli/commands.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from pipelines.core.printable import printable
from pipelines.orchestration import server

app = typer.Typer(help="This project's Prefect server, in the background: its UI shows the runs of `ncmec run` and "
                       "the schedule of `ncmec serve`. Its home (database, log) is .prefect/ in the current folder.",
                  no_args_is_help=True)
out = Console(highlight=False, emoji=False)
err = Console(stderr=True, highlight=False, emoji=False)
LINE_EVERY = 5.0  # seconds between progress lines when stderr is no terminal (a log, CI)
TYPICAL = (f"a first start in a folder takes about {server.TYPICAL_FIRST} s, later starts about {server.TYPICAL_LATER} "
           "s: medians on a 2-core machine shared with other work; longer when it is busier")


def _fail(command: str, message: str, code: int) -> NoReturn:
    err.print(printable(f"ncmec server {command}: error: {message}"), markup=False, soft_wrap=True)
    raise typer.Exit(code)


def _describe(s: server.Server, state: str) -> None:
    out.print(printable(f"Prefect server {state} (pid {s.pid}), its home {s.home}"), markup=False, soft_wrap=True)
    for label, value in (("UI", s.ui_url), ("API", s.api_url), ("log", s.log)):
        out.print(printable(f"  {label:<4} {value}"), markup=False, soft_wrap=True)


@contextmanager
def _waiting(port: int, home: Path) -> Iterator[Callable[[float], None]]:
    """Progress on stderr once the server is launched, with the seconds waited: a live line on a
    terminal, else a line at first and one every LINE_EVERY seconds. (Nothing before: a refusal
    is then the only line.)"""
    typical = (f"first start here: about {server.TYPICAL_FIRST} s"
               if server.first_start(home) else f"about {server.TYPICAL_LATER} s")
    label = f"starting the Prefect server on port {port} ({typical})"
    live = err.status(Text(label)) if err.is_terminal else None
    shown = [-LINE_EVERY]  # the seconds of the last line printed

    def show(waited: float) -> None:
        if live is not None:
            live.start()  # at once if already started
            live.update(Text(f"{label}: {waited:.0f} s"))
        elif shown[0] < 0:
            err.print(label, markup=False, soft_wrap=True)
            shown[0] = 0.0
        elif waited >= shown[0] + LINE_EVERY:
            shown[0] = waited // LINE_EVERY * LINE_EVERY
            err.print(f"  waiting for it to answer: {shown[0]:.0f} s", markup=False)

    try:
        yield show
    finally:
        if live is not None:
            live.stop()


@app.command(help=f"Start the server in the background and wait until it answers ({TYPICAL}).")
def start(
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Its port on 127.0.0.1.")] = server.DEFAULT_PORT,
    timeout: Annotated[float, typer.Option("--timeout", min=1, metavar="SECONDS",
                                           help="How long to wait for it to answer.")] = server.START_TIMEOUT,
) -> None:
    home = server.home_dir()
    try:
        with _waiting(port, home) as progress:
            started = server.start(home, port, timeout, on_wait=progress)
    except server.PortTaken:
        from pipelines.orchestration import holder

        _fail("start", holder.taken(port), 2)
    except server.ServerError as exc:
        _fail("start", str(exc), 2)
    _describe(started, "started")
    out.print("`ncmec run` and `ncmec serve` use it (unless PREFECT_API_URL is set); `ncmec server stop` stops it",
              markup=False, soft_wrap=True)


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
