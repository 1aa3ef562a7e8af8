-- Release 0.4.0 (issue 22). Figures were one DOUBLE `value`, so pandas showed a count as 6112.0 and
-- JSON printed 33.0; and a metric name can be of both scopes, so `facts join metrics using (metric)`
-- counted a fact twice. Now:
--   * `value` is a BIGINT, the figure as a whole number (every count, and a percentage when it is
--     whole); the new DOUBLE `percent` holds a percentage with its decimals, and is null for counts.
--     Every figure is kept: a percentage is copied into `percent` (the catalog's unit `percent`), a
--     whole figure into `value`. Only a count that is not whole (or above 2**53) has no `value`: a
--     check rejected it (`count_whole`), and its rejection states the figure. The next run parses
--     such a sheet again rather than reusing its stored figures (pipelines/store/warehouse.py).
--   * `observations` and `facts` get `scope`: `national` where `geo = 'US'`, else `state`.
--   * `fact_changes` keeps old and new figures by the same rule, a percentage known by its metric.
--   * `metrics.title`: what a page calls the metric; every load rewrites the metrics from the
--     catalog, so the next run fills it (as 002 did for caveat).
-- Each table is rebuilt so its columns are in the declared order (pipelines/core/tables.py),
-- inside the transaction that runs every migration (pipelines/store/migrate.py).

create table observations_0_4_0 (
    source_file varchar not null,
    geo varchar not null,
    year integer not null,
    metric varchar not null,
    scope varchar not null,
    value bigint,
    percent double,
    qualifier varchar not null,
    unit varchar not null,
    evidence varchar not null,
    char_start integer not null,
    char_end integer not null,
    accepted boolean not null,
    load_id varchar not null
);
insert into observations_0_4_0
select source_file, geo, year, metric,
       case when geo = 'US' then 'national' else 'state' end,
       case when value = trunc(value) and abs(value) <= 9007199254740992 then value::bigint end,
       case when unit = 'percent' then value end,
       qualifier, unit, evidence, char_start, char_end, accepted, load_id
from observations;
drop table observations;
alter table observations_0_4_0 rename to observations;

create table facts_0_4_0 (
    geo varchar not null,
    year integer not null,
    metric varchar not null,
    scope varchar not null,
    value bigint,
    percent double,
    qualifier varchar not null,
    unit varchar not null,
    source_file varchar not null,
    n_sources integer not null,
    load_id varchar not null
);
insert into facts_0_4_0
select geo, year, metric,
       case when geo = 'US' then 'national' else 'state' end,
       case when value = trunc(value) and abs(value) <= 9007199254740992 then value::bigint end,
       case when unit = 'percent' then value end,
       qualifier, unit, source_file, n_sources, load_id
from facts;
drop table facts;
alter table facts_0_4_0 rename to facts;

create table fact_changes_0_4_0 (
    geo varchar not null,
    year integer not null,
    metric varchar not null,
    change varchar not null,
    old_value bigint,
    new_value bigint,
    old_percent double,
    new_percent double,
    old_qualifier varchar,
    new_qualifier varchar,
    load_id varchar not null
);
insert into fact_changes_0_4_0
select c.geo, c.year, c.metric, c.change,
       case when c.old_value = trunc(c.old_value) and abs(c.old_value) <= 9007199254740992
            then c.old_value::bigint end,
       case when c.new_value = trunc(c.new_value) and abs(c.new_value) <= 9007199254740992
            then c.new_value::bigint end,
       case when m.unit = 'percent' then c.old_value end,
       case when m.unit = 'percent' then c.new_value end,
       c.old_qualifier, c.new_qualifier, c.load_id
from fact_changes c
left join metrics m
  on m.metric = c.metric and m.scope = case when c.geo = 'US' then 'national' else 'state' end;
drop table fact_changes;
alter table fact_changes_0_4_0 rename to fact_changes;

create table metrics_0_4_0 as
select metric, scope, null::varchar as title, program, unit, description, example, caveat, load_id from metrics;
drop table metrics;
alter table metrics_0_4_0 rename to metrics;
