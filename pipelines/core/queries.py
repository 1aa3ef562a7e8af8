"""Queries that a run's staged tables and the warehouse both answer (the same tables, declared once
in core/tables.py): a run's summary, asked of the staging folder, or of the warehouse when nothing
changed. Kept apart from tables.py, which imports pandas, so that reading commands do not."""

from __future__ import annotations

REJECTED_FILES_SQL = ("select source_file, rejected_check, reason from documents "
                      "where status = 'rejected' order by source_file")
BY_CHECK_SQL = 'select "check", count(*) from rejections group by 1 order by 1'
