"""Knowledge and helpers every stage shares: the metric catalog and its patterns, the checks, the
tables, what parsing gives, the input limits, text made safe to print, paths as DuckDB is given them."""
