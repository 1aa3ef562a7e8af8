"""The warehouse's SQL views, applied in name order by every load (pipelines/load.py); installed
as the package `pipelines.views` (pyproject.toml). The DuckDB file lives beside them."""
