"""NCMEC state fact sheets into a validated, traceable DuckDB warehouse."""

__version__ = "0.5.0"  # as pyproject.toml (tests/test_fingerprint.py)
