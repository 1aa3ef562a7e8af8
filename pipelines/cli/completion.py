"""Shell completion for `ncmec`: `ncmec completion SHELL` prints the script a shell sources, and the
console script answers the requests that script makes (pipelines/cli/entry.py).

The scripts and the answers are Typer's (click's machinery in Typer's dialect: the script sets
_NCMEC_COMPLETE=complete_bash, complete_zsh or complete_fish and runs `ncmec`, which prints the
candidates and exits). Typer registers its answering classes only for an app built with its
--install-completion options, which `ncmec` leaves out (they would write to a shell's start-up
files): `init` registers them.
"""

from __future__ import annotations

import enum
import os
import sys
from typing import Annotated

import typer

PROG = "ncmec"
VARIABLE = "_NCMEC_COMPLETE"


class Shell(enum.StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def requested() -> bool:
    """Whether this process was started by a completion script to answer one request."""
    return bool(os.environ.get(VARIABLE))


def init() -> None:
    from typer.completion import completion_init

    completion_init()


def completion(shell: Annotated[Shell, typer.Argument(help="The shell: bash, zsh or fish.")]) -> None:
    """Print the shell completion script for ncmec (commands, options, choices, places, metrics).
    Install it once, with ncmec on the PATH:

    \b
    bash, in ~/.bashrc:  eval "$(ncmec completion bash)"
    zsh, in ~/.zshrc after compinit:  eval "$(ncmec completion zsh)"
    fish:  ncmec completion fish > ~/.config/fish/completions/ncmec.fish
    """
    from typer.completion import get_completion_script

    sys.stdout.write(get_completion_script(prog_name=PROG, complete_var=VARIABLE, shell=shell.value) + "\n")


def metrics(incomplete: str) -> list[str]:
    """The catalog's metric names that start with what was typed (explain's METRIC)."""
    from pipelines.core import catalog

    return [m for m in dict.fromkeys(m for m, _ in catalog.about()) if m.startswith(incomplete)]


def places(incomplete: str) -> list[str]:
    """The USPS codes that start with what was typed, in its case (explain's GEO takes "wi" too;
    a shell keeps only the candidates that start with the word as typed)."""
    from pipelines.core import catalog

    codes = sorted(catalog.known_geos())
    shown = [c.lower() for c in codes] if incomplete[:1].islower() else codes
    return [c for c in shown if c.startswith(incomplete)]
