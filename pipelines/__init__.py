"""NCMEC state fact sheets into a validated, traceable DuckDB warehouse."""

__version__ = "0.4.0"  # as pyproject.toml (tests/test_fingerprint.py)
