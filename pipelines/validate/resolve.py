"""Stage 3d: the checks across documents, in SQL over the staged batches, and the facts.

One fact per (geo, year, metric): the (value, qualifier) the most distinct documents give. A
tie for the most is a conflict: every document of the key is rejected and there is no fact.
Documents that give a minority value are rejected (`national_agrees` for national figures,
`sources_agree` for a state's), naming the majority's files. Then the cumulative CVIP total
must never fall from one year to the next.

The votes are counted by DuckDB, so memory does not grow with the run; only the rows a check
rejects come back to Python, to be given their reasons.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from pipelines.core import catalog, registry, tables
from pipelines.core.registry import CUMULATIVE
from pipelines.core.sqlpaths import literal
from pipelines.validate import schemas
from pipelines.validate.staging import Staging

SHOWN_FILES = 3  # a reason names this many files and counts the rest

# Votes: how many distinct documents give each (value, qualifier) of a key. Distinct rows first,
# then plain counts: DuckDB can spill both to disk, unlike a count(distinct ...) per group.
_VOTES = """
create or replace temp table votes as
select geo, year, metric, value, qualifier, any_value(unit) as unit, count(*) as n,
       min(source_file) as first_file
from (select distinct geo, year, metric, value, qualifier, unit, source_file from observations where accepted)
group by geo, year, metric, value, qualifier;

create or replace temp table winners as
with ranked as (select *, max(n) over (partition by geo, year, metric) as top_n from votes)
select geo, year, metric, any_value(value) as value, any_value(qualifier) as qualifier,
       any_value(unit) as unit, any_value(n) as n, any_value(first_file) as first_file
from ranked where n = top_n
group by geo, year, metric having count(*) = 1;
"""

# Accepted observations that disagree with their key's winner, or whose key has none (a tie).
_LOSERS = """
create or replace temp table losers as
select o.obs_id, o.source_file, o.geo, o.year, o.metric, o.value, o.qualifier, o.evidence,
       w.value as value_top, w.qualifier as qualifier_top, w.n as n_top
from observations o
left join winners w on w.geo = o.geo and w.year = o.year and w.metric = o.metric
where o.accepted and (w.n is null or o.value <> w.value or o.qualifier <> w.qualifier)
"""

# The first files (by name) that give each (value, qualifier) of a key with losers: for reasons.
_SHOWN = f"""
select geo, year, metric, value, qualifier, list(source_file order by source_file)[1:{SHOWN_FILES}] as shown
from (select distinct o.geo, o.year, o.metric, o.value, o.qualifier, o.source_file from observations o
      semi join losers l on l.geo = o.geo and l.year = o.year and l.metric = o.metric
      where o.accepted)
group by geo, year, metric, value, qualifier
"""

_TIES = """
select v.geo, v.year, v.metric, v.value, v.qualifier, v.n
from votes v anti join winners w on w.geo = v.geo and w.year = v.year and w.metric = v.metric
order by v.geo, v.year, v.metric, v.n desc, v.value
"""


def name_files(shown: Sequence[str], total: int) -> str:
    more = total - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _reject(stage: Staging, rows: pd.DataFrame, check: pd.Series | str, reasons: list[str], load_id: str,
            part: str) -> None:
    """Record rejections of staged observations (`rows` has obs_id): they are no longer accepted."""
    if rows.empty:
        return
    rejections = pd.DataFrame({
        "source_file": rows["source_file"], "geo": rows["geo"], "year": rows["year"], "metric": rows["metric"],
        "check": check, "reason": reasons, "evidence": rows["evidence"], "load_id": load_id,
    })
    stage.write("rejections", schemas.validate_table(schemas.Rejections, rejections), part)
    stage.write("rejected_ids", rows[["obs_id"]], part)


def _majority(stage: Staging, con: duckdb.DuckDBPyConnection, load_id: str) -> None:
    """Count the votes; reject the losers and both sides of a tie; the winners are the facts."""
    con.execute(_VOTES)
    con.execute(_LOSERS)
    lost = con.execute("select * from losers order by source_file, obs_id").df()
    shown = {} if lost.empty else {
        (r.geo, r.year, r.metric, r.value, r.qualifier): list(r.shown) for r in con.execute(_SHOWN).df().itertuples()}
    said = {key: "; ".join(f"{catalog.fmt(v.value)} ({v.qualifier}) in "
                           f"{name_files(shown[(*key, v.value, v.qualifier)], v.n)}" for v in g.itertuples())
            for key, g in con.execute(_TIES).df().groupby(["geo", "year", "metric"], sort=False)}
    checks, reasons = [], []
    for r in lost.itertuples():
        key = (r.geo, r.year, r.metric)
        check = "national_agrees" if r.geo == catalog.NATION else "sources_agree"
        checks.append(check)
        if key in said:
            reasons.append(registry.say(check, case="tie", metric=r.metric, geo=r.geo, year=r.year, said=said[key]))
        else:
            reasons.append(registry.say(
                check, case="minority", value=catalog.fmt(r.value), qualifier=r.qualifier, metric=r.metric, geo=r.geo,
                year=r.year, n_top=int(r.n_top), value_top=catalog.fmt(r.value_top), qualifier_top=r.qualifier_top,
                files=name_files(shown[(*key, r.value_top, r.qualifier_top)], int(r.n_top))))
    _reject(stage, lost, pd.Series(checks, index=lost.index, dtype=object), reasons, load_id, "majority")


# A running total cannot fall: a year's value below the largest of the years before it.
_FALLS = f"""
select year, value, before_value, before_year from (
    select year, value,
           max(value) over earlier as before_value, arg_max(year, value) over earlier as before_year
    from winners where geo = '{catalog.NATION}' and metric = '{CUMULATIVE}'
    window earlier as (order by year rows between unbounded preceding and 1 preceding))
where value < before_value order by year
"""


def _cumulative_never_falls(stage: Staging, con: duckdb.DuckDBPyConnection, load_id: str) -> None:
    """A year whose cumulative CVIP total is below an earlier year's is rejected, and is no fact."""
    for year, value, before_value, before_year in con.execute(_FALLS).fetchall():
        reason = registry.say("cvip_cumulative_non_decreasing", value=catalog.fmt(value), year=year,
                              before=catalog.fmt(before_value), before_year=before_year)
        hit = con.execute(
            """select obs_id, source_file, geo, year, metric, evidence from observations
               where accepted and geo = ? and metric = ? and year = ? order by source_file, obs_id""",
            [catalog.NATION, CUMULATIVE, year]).df()
        _reject(stage, hit, "cvip_cumulative_non_decreasing", [reason] * len(hit), load_id, f"cvip-{year}")
        con.execute("delete from winners where geo = ? and metric = ? and year = ?", [catalog.NATION, CUMULATIVE, year])


def resolve(stage: Staging, load_id: str) -> None:
    """Apply the checks across documents to everything staged, and stage the facts: DuckDB
    writes them to the staging folder itself; pandera checks what it wrote (a bug is an error)."""
    con = stage.con
    _majority(stage, con, load_id)
    _cumulative_never_falls(stage, con, load_id)
    path = stage.folder / "facts-resolved.parquet"
    written = f"{stage.sql_folder}/{path.name}"
    source = {"source_file": "first_file", "n_sources": "n", "load_id": literal(load_id)}
    columns = ", ".join(f"{source.get(c.name, c.name)}::{c.type} as {c.name}" for c in tables.FACTS.staged().columns)
    con.execute(f"copy (select {columns} from winners order by geo, year, metric) "
                f"to {literal(written)} (format parquet)")
    schemas.validate_table(schemas.Facts, pd.read_parquet(path))
