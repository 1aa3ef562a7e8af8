"""The console script's two consoles and its one way to fail: shared by the modules of commands
(commands.py, ledger.py), so that every command prints and fails alike."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

from pipelines.core.printable import printable

# No emoji codes: a `:x:` in a file name or a value is text (data is printed as rich Text, never markup).
out = Console(highlight=False, emoji=False)
err = Console(stderr=True, highlight=False, emoji=False)


def fail(command: str, message: str, code: int = 2) -> NoReturn:
    """One line on stderr, `ncmec COMMAND: error: MESSAGE`, and the exit code."""
    err.print(printable(f"ncmec {command}: error: {message}"), markup=False, soft_wrap=True)
    raise typer.Exit(code)
