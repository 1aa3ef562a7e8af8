-- state_year_wide: one row per place and year, one column per metric of the catalog
-- (pipelines/catalog.toml). Only facts: values that passed every check. A metric a sheet does not
-- state is null, never 0. National figures are the rows with geo = 'US'; three metric names are
-- both state and national (missing_child_cases, missing_from_social_services,
-- team_hope_families_supported), so in those columns the US row holds the national figure.
-- tests/test_views.py fails when a catalog metric has no column here.

create or replace view state_year_wide as

with fact_values as (
    select geo, year, metric, value
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
        -- state scope (each sheet, for its own state)
        max(value) filter (where metric = 'cybertipline_reports_to_law_enforcement') as cybertipline_reports_to_law_enforcement,
        max(value) filter (where metric = 'cvip_submissions_reviewed') as cvip_submissions_reviewed,
        max(value) filter (where metric = 'missing_child_cases') as missing_child_cases,
        max(value) filter (where metric = 'missing_from_social_services') as missing_from_social_services,
        max(value) filter (where metric = 'missing_other') as missing_other,
        max(value) filter (where metric = 'missing_reported_by_hhs_orr') as missing_reported_by_hhs_orr,
        max(value) filter (where metric = 'cst_social_service_engagements') as cst_social_service_engagements,
        max(value) filter (where metric = 'team_hope_families_supported') as team_hope_families_supported,
        max(value) filter (where metric = 'faon_mental_health_connections') as faon_mental_health_connections,
        max(value) filter (where metric = 'team_adam_cases_assisted') as team_adam_cases_assisted,
        max(value) filter (where metric = 'connect_new_professionals') as connect_new_professionals,
        -- national scope only (geo = 'US')
        max(value) filter (where metric = 'cybertipline_reports_received') as cybertipline_reports_received,
        max(value) filter (where metric = 'cybertipline_content_pieces') as cybertipline_content_pieces,
        max(value) filter (where metric = 'cvip_children_identified_cumulative') as cvip_children_identified_cumulative,
        max(value) filter (where metric = 'cst_likely_victim_share_pct') as cst_likely_victim_share_pct,
        max(value) filter (where metric = 'cst_reports_received') as cst_reports_received,
        max(value) filter (where metric = 'connect_registered_users') as connect_registered_users
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
