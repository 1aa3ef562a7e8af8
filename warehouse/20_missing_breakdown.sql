-- missing_breakdown: the missing-children table of each loaded sheet. One row per sheet (source_file)
-- and state: the total the sheet states, its rows (a column each), their sum, and whether they
-- agree. The metrics and the checks are the catalog's and the registry's (the placeholders, written
-- out by pipelines/store/views.py). Read from observations, not facts, so a sheet whose rows do not add up is
-- still shown (accepted = false). `agrees` is the verdict of the checks (pipelines/validate/checks.py, the
-- one place the rule lives), read from rejections: false when a check of the table (its rows
-- against its total) rejected the sheet's rows, null when it cannot be told (no total, no row, or
-- a row that could not be read), else true. A row a sheet leaves out is absent, never 0.

create or replace view missing_breakdown as

with breakdown_rows as (
    select source_file, geo, year, metric, value, accepted
    from observations
    where geo <> 'US'
      and metric in ({{breakdown_metrics}})
),

verdicts as (
    select
        source_file,
        bool_or("check" in ({{breakdown_checks}})) as disagrees,
        bool_or("check" in ({{extraction_checks}}) and metric in ({{breakdown_rows}})) as unread
    from rejections
    group by source_file
),

per_sheet as (
    select
        source_file,
        geo,
        year,
        max(value) filter (where metric = {{breakdown_total}}) as total,
        {{breakdown_row_columns}},
        count(distinct metric) filter (where metric <> {{breakdown_total}}) as parts_stated,
        bool_and(accepted) as accepted
    from breakdown_rows
    group by source_file, geo, year
),

summed as (
    select
        p.*,
        case when p.parts_stated > 0
             then {{breakdown_rows_sum}}
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
        {{breakdown_row_names}},
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
