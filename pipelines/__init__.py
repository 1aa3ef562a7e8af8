"""NCMEC state fact sheets into a validated, traceable DuckDB warehouse."""

__version__ = "0.1.0"
