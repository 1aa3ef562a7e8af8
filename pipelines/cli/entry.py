"""The `ncmec` console script: the typer app (pipelines/cli/commands.py) behind one guard, so that every
failure, whatever raised it, is one line on stderr and a non-zero exit, never a traceback.

Usage errors (a missing argument, an unknown option, a bad value), which typer would print in a
box of usage lines, are one line that names the command and points to its --help. Anything
a command did not turn into its own one-line error is a bug; it is still one line, with
`NCMEC_DEBUG=1` to see the traceback.
"""

from __future__ import annotations

import atexit
import os
import sys

import typer

from pipelines.cli import completion
from pipelines.cli.commands import app, err
from pipelines.core.printable import first_line

INTERRUPTED = 130  # as a shell reports a process ended by Ctrl-C


def _command(ctx: object, argv: list[str]) -> str:
    """The command a message is about: as typer resolved it, else the first argument if it
    names one of ours."""
    if isinstance(ctx, typer.Context):
        return ctx.command_path
    known = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    known |= {g.name or "" for g in app.registered_groups}
    return f"ncmec {argv[0]}" if argv and argv[0] in known else "ncmec"


def _say(text: str) -> None:
    err.print(text, markup=False, highlight=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> int:
    """Run one `ncmec` command; returns (and, as the console script, exits with) its status."""
    args = sys.argv[1:] if argv is None else argv
    if completion.requested():  # a shell's completion script asks: Typer answers, then exits
        completion.init()
    try:
        code = app(args=args, prog_name=completion.PROG, standalone_mode=False)
    except SystemExit as exc:  # how Typer ends a completion request, even with standalone_mode=False
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    except typer.TyperException as exc:  # typer's usage errors
        message = exc.format_message().strip()
        if message.startswith("Usage:"):  # a command group given no command: its help, which typer raises
            _say(message)
        else:  # one line, a list of choices too ("Choose from:\n\tbash,\n\tzsh")
            where = _command(getattr(exc, "ctx", None), args)
            _say(f"{where}: error: {first_line(' '.join(message.split()))} (see `{where} --help`)")
        return exc.exit_code
    except typer.Abort:
        _say("ncmec: interrupted")
        return INTERRUPTED
    except Exception as exc:
        if os.environ.get("NCMEC_DEBUG"):
            raise
        _say(f"{_command(None, args)}: error: {type(exc).__name__}: {first_line(exc)} "
             "(a bug: NCMEC_DEBUG=1 shows where it happened)")
        return 2
    return code if isinstance(code, int) else 0


def console() -> None:
    code = main()
    # The interpreter's finalisation frees, one by one, every object the imports made (Prefect,
    # pandas, pydantic): 0.4 s after a run's summary is printed, for nothing, since the process
    # ends. Each command has closed its warehouse and files; what is left to do at exit is the
    # exit functions (logging's, Prefect's drain of its log and event workers, temporary folders)
    # and flushing the streams, which is done here before the process ends without finalising.
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`ncmec query | head`), a closed stream
            code = code or 1
    os._exit(code)

if __name__ == "__main__":
    console()
