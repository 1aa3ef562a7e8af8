-- state_share_of_national: a state's fact over the national fact of the same metric and year,
-- where both exist: only the metric names of both scopes in the catalog (pipelines/core/catalog.toml;
-- `ncmec dictionary` lists them in its caveats, with how a scope's figure may count something else
-- than the other's). not_exact is true when either figure is rounded or bounded (qualifier other
-- than exact). The figures are as in facts: state_value and national_value whole numbers (BIGINT),
-- state_percent and national_percent a percentage with its decimals (null for counts); share is
-- computed from the exact figures.

create or replace view state_share_of_national as

with state_facts as (
    select geo, year, metric, value, percent, {{figure}} as figure, qualifier
    from facts
    where geo <> 'US'
),

national_facts as (
    select year, metric, value, percent, {{figure}} as figure, qualifier
    from facts
    where geo = 'US'
),

final as (
    select
        state_facts.geo,
        state_facts.year,
        state_facts.metric,
        state_facts.value as state_value,
        national_facts.value as national_value,
        state_facts.percent as state_percent,
        national_facts.percent as national_percent,
        state_facts.figure / national_facts.figure as share,
        state_facts.qualifier as state_qualifier,
        national_facts.qualifier as national_qualifier,
        state_facts.qualifier <> 'exact' or national_facts.qualifier <> 'exact' as not_exact
    from state_facts
    inner join national_facts
        on national_facts.year = state_facts.year
       and national_facts.metric = state_facts.metric
    where national_facts.figure <> 0
)

select * from final
order by metric, year, geo;
