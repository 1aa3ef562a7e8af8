"""Every check a run makes, over documents already in memory: for the tests (through conftest)
and for the corpus scripts (tests/exporters/floor.py), which must not import conftest (it
sets up a Prefect home for a test session)."""

from __future__ import annotations

# How to read a table back for comparing (a table's physical order is no contract).
_ORDER = {
    "documents": "source_file",
    "observations": "source_file, obs_id",
    "facts": "geo, year, metric",
    "rejections": 'source_file, "check", metric nulls first, evidence nulls first, reason',
}


def validated(parsed, load_id: str = "test", incumbents=None):
    """Every check a run makes, over documents already in memory: the run's own validation
    (pipelines/orchestration/run.py: duplicates by content, the batch checks, the checks across documents),
    read back from its staging folder."""
    from pipelines.orchestration import run
    from pipelines.validate import checks
    from pipelines.validate.staging import staging_for

    primary = checks.primaries(((d.source_file, d.sha256) for d in parsed), incumbents or {})
    copies = {name: first for name, first in primary.items() if name != first}
    with staging_for(None, load_id) as stage:
        stage.append(checks.check_batch([d for d in parsed if primary[d.source_file] == d.source_file], load_id), 1)
        run.resolve_staged(stage, copies, load_id)
        return checks.Frames(**{
            table: stage.con.sql(f"select * {'exclude (obs_id)' if table == 'observations' else ''} "
                                 f"from {table} order by {order}").df()
            for table, order in _ORDER.items()})
