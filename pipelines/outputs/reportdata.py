"""What `ncmec report` reads from the warehouse: facts with their evidence and sources, and the
rejections, as plain rows (no pandas: a 600-sheet warehouse is a few thousand rows, and the page
is text).

Only facts are drawn. A value that a check rejected is no fact, so it can only reach the page
through `rejections`, which the validation section lists; a key stated by several documents is
one fact, shown once with every document that states its value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.core import catalog
from pipelines.core.figures import exact
from pipelines.store import warehouse

Key = tuple[str, int, str]  # (geo, year, metric)

# Each fact with the evidence of one document that states its value, and every such document:
# duplicates of one key are one fact with several sources. The evidence quoted is the first (by
# file, then position) of a document that nothing was rejected from, where there is one: a national
# figure is in every sheet, and its sentence should not be the one of a sheet whose state figure in
# the same sentence was rejected ("including 99,000 survivors/families in Alaska").
FACTS_SQL = f"""
with flagged as (select distinct source_file from rejections),
stated as (
    select o.geo, o.year, o.metric,
           arg_min(o.evidence, (x.source_file is not null)::int || o.source_file
                               || lpad(o.char_start::varchar, 10, '0')) as evidence,
           list(distinct o.source_file order by o.source_file) as files
    from observations o join facts f using (geo, year, metric) left join flagged x on x.source_file = o.source_file
    where o.accepted and {exact("o.")} = {exact("f.")} and o.qualifier = f.qualifier
    group by all
)
select f.geo, f.year, f.metric, {exact("f.")} as value, f.qualifier, f.unit, f.source_file,
       coalesce(s.evidence, '') as evidence, coalesce(s.files, [f.source_file]) as files
from facts f left join stated s using (geo, year, metric)
order by f.geo, f.year, f.metric
"""
REJECTIONS_SQL = """
select source_file, geo, year, metric, "check", reason, evidence from rejections
order by geo nulls last, year nulls last, metric nulls first, source_file, "check"
"""
HEADER_SQL = {
    "load": "select load_id from load_runs where status = 'completed' order by finished_at desc limit 1",
    "documents": "select status, count(*) from documents group by status order by status",
}


@dataclass(frozen=True)
class Fact:
    geo: str
    year: int
    metric: str
    value: float
    qualifier: str
    unit: str
    evidence: str  # the first document's sentence or table row, verbatim
    files: tuple[str, ...]  # every document that states this value

    @property
    def key(self) -> Key:
        return (self.geo, self.year, self.metric)

    @property
    def scope(self) -> str:
        return "national" if self.geo == catalog.NATION else "state"


@dataclass(frozen=True)
class Rejection:
    source_file: str
    geo: str | None
    year: int | None
    metric: str | None
    check: str
    reason: str
    evidence: str | None


@dataclass
class Warehouse:
    """Everything the page shows, read in one read-only connection."""

    db: Path
    facts: list[Fact]
    rejections: list[Rejection]
    load_id: str | None
    documents: dict[str, int] = field(default_factory=dict)  # by status

    def rejected_keys(self) -> dict[Key, int]:
        """Each key with a rejection and no fact: the index of its first rejection."""
        have = {f.key for f in self.facts}
        keys: dict[Key, int] = {}
        for i, r in enumerate(self.rejections):
            if r.geo is not None and r.year is not None and r.metric is not None:
                key = (r.geo, r.year, r.metric)
                if key not in have:
                    keys.setdefault(key, i)
        return keys


class ReportError(Exception):
    """The report cannot be made; the message is one line for the user."""


def read(db: Path) -> Warehouse:
    con = warehouse.connect(db, read_only=True)
    try:
        warehouse.require_warehouse(con, db)
        facts = [Fact(geo, int(year), metric, value, qualifier, unit, evidence, tuple(files))
                 for geo, year, metric, value, qualifier, unit, _, evidence, files in con.sql(FACTS_SQL).fetchall()]
        rejections = [Rejection(file, geo, None if year is None else int(year), metric, check, reason, evidence)
                      for file, geo, year, metric, check, reason, evidence in con.sql(REJECTIONS_SQL).fetchall()]
        load = con.execute(HEADER_SQL["load"]).fetchall()
        documents = dict(con.sql(HEADER_SQL["documents"]).fetchall())
    except duckdb.Error as exc:
        raise ReportError(f"cannot read {db}: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    return Warehouse(db, facts, rejections, load[0][0] if load else None, documents)
