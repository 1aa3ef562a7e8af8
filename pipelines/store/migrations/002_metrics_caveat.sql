-- Release 0.2.0: each metric's caveat (what a user must know before comparing or adding it up),
-- which `ncmec explain` shows. The table is rebuilt so that load_id stays its last column; every
-- load rewrites the metrics from the catalog, caveats included.
create table metrics_0_2_0 as
select metric, scope, program, unit, description, example, null::varchar as caveat, load_id from metrics;
drop table metrics;
alter table metrics_0_2_0 rename to metrics;
