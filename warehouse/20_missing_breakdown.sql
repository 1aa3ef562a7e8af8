-- missing_breakdown: the missing-children table of each loaded sheet. One row per sheet (source_file)
-- and state: the total the sheet states (missing_child_cases), its three rows, their sum, and
-- whether they agree. Read from observations, not facts, so a sheet whose rows do not add up is
-- still shown (agrees = false; its values were rejected by the breakdown_sums check, accepted =
-- false). The rows a sheet lists must add up to its total (a row it leaves out had no cases, but
-- is absent, never 0); agrees is null when it cannot be told: no total, or no row.

create or replace view missing_breakdown as

with breakdown_rows as (
    select source_file, geo, year, metric, value, accepted
    from observations
    where geo <> 'US'
      and metric in ('missing_child_cases', 'missing_from_social_services',
                     'missing_other', 'missing_reported_by_hhs_orr')
),

per_sheet as (
    select
        source_file,
        geo,
        year,
        max(value) filter (where metric = 'missing_child_cases') as total,
        max(value) filter (where metric = 'missing_from_social_services') as missing_from_social_services,
        max(value) filter (where metric = 'missing_other') as missing_other,
        max(value) filter (where metric = 'missing_reported_by_hhs_orr') as missing_reported_by_hhs_orr,
        count(distinct metric) filter (where metric <> 'missing_child_cases') as parts_stated,
        bool_and(accepted) as accepted
    from breakdown_rows
    group by source_file, geo, year
),

summed as (
    select
        *,
        case when parts_stated > 0
             then coalesce(missing_from_social_services, 0) + coalesce(missing_other, 0)
                  + coalesce(missing_reported_by_hhs_orr, 0)
        end as parts_sum
    from per_sheet
),

final as (
    select
        geo,
        year,
        total,
        missing_from_social_services,
        missing_other,
        missing_reported_by_hhs_orr,
        parts_sum,
        parts_stated,
        case
            when total is null or parts_sum is null then null
            else parts_sum = total
        end as agrees,
        accepted,
        source_file
    from summed
)

select * from final
order by geo, year, source_file;
