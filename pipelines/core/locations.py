"""Where a command finds the raw folder and the warehouse when it is not told: the flag, else the
environment variable, else the default (DESIGN.md, Commands). The console script's options
(pipelines/cli/options.py) and `python flows.py` read these, so that every entry point agrees."""

from __future__ import annotations

import os

DB_ENV = "NCMEC_DB"
RAW_ENV = "NCMEC_RAW"
DEFAULT_DB = "warehouse/ncmec.duckdb"
DEFAULT_RAW = "raw"


def db(given: str | None = None) -> str:
    """The warehouse: `given` (a flag), else $NCMEC_DB, else warehouse/ncmec.duckdb. An empty
    variable counts as unset, as the console script's options count it."""
    return given or os.environ.get(DB_ENV) or DEFAULT_DB


def raw(given: str | None = None) -> str:
    """The raw folder: `given`, else $NCMEC_RAW, else raw."""
    return given or os.environ.get(RAW_ENV) or DEFAULT_RAW
