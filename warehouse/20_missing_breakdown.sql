-- missing_breakdown: the missing-children table of each loaded sheet. One row per sheet (source_file)
-- and state: the total the sheet states (missing_child_cases), its three rows, their sum, and
-- whether they agree. Read from observations, not facts, so a sheet whose rows do not add up is
-- still shown (accepted = false). `agrees` is the verdict of the checks (pipelines/validate/checks.py, the
-- one place the rule lives), read from rejections: false when breakdown_sums or
-- breakdown_row_within_total rejected the sheet's rows, null when it cannot be told (no total, no
-- row, or a row that could not be read), else true. A row a sheet leaves out is absent, never 0.

create or replace view missing_breakdown as

with breakdown_rows as (
    select source_file, geo, year, metric, value, accepted
    from observations
    where geo <> 'US'
      and metric in ('missing_child_cases', 'missing_from_social_services',
                     'missing_other', 'missing_reported_by_hhs_orr')
),

verdicts as (
    select
        source_file,
        bool_or("check" in ('breakdown_sums', 'breakdown_row_within_total')) as disagrees,
        bool_or("check" in ('breakdown_unreadable', 'footnote_ambiguous', 'value_unreadable')
                and metric in ('missing_from_social_services', 'missing_other', 'missing_reported_by_hhs_orr'))
            as unread
    from rejections
    group by source_file
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
        p.*,
        case when p.parts_stated > 0
             then coalesce(p.missing_from_social_services, 0) + coalesce(p.missing_other, 0)
                  + coalesce(p.missing_reported_by_hhs_orr, 0)
        end as parts_sum,
        coalesce(v.disagrees, false) as disagrees,
        coalesce(v.unread, false) as unread
    from per_sheet p
    left join verdicts v on v.source_file = p.source_file
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
            when disagrees then false
            when total is null or parts_sum is null or unread then null
            else true
        end as agrees,
        accepted,
        source_file
    from summed
)

select * from final
order by geo, year, source_file;
