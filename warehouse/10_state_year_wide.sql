-- state_year_wide: one row per place and year, one column per metric of the catalog
-- (pipelines/core/catalog.toml), generated from it (the placeholder below, written out by
-- pipelines/store/views.py when the views are applied). Only facts: values that
-- passed every check. A metric a sheet does not state is null, never 0. National figures are the
-- rows with geo = 'US'; a metric name of both scopes in the catalog holds, in the US row, the
-- national figure. A count's column is a whole number (BIGINT, the facts' value); a percentage's
-- keeps its decimals (DOUBLE, the exact figure).

create or replace view state_year_wide as

with fact_values as (
    select geo, year, metric, value, percent
    from facts
),

places as (
    select geo, name
    from geos
),

pivoted as (
    select
        geo,
        year,
        {{metric_columns}}
    from fact_values
    group by geo, year
),

final as (
    select
        pivoted.geo,
        places.name,
        pivoted.* exclude (geo)
    from pivoted
    left join places on places.geo = pivoted.geo
)

select * from final
order by geo = 'US', geo, year;
