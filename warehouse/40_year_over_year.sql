-- year_over_year: per place and metric, the change from one available year to the next one the
-- warehouse holds (previous_year may be more than a year back when a sheet is missing). National
-- figures are the rows with geo = 'US'. pct_change is in percent, null when the earlier value is 0.
-- not_exact is true when either value is rounded or bounded (qualifier other than exact): then the
-- change is only as good as those figures. A running total (the catalog's caveats say which) changes
-- by what was added between the two years, not as a trend in a yearly count. Figures are as in
-- facts: previous_value, value and change whole numbers (BIGINT: counts, and whole percentages);
-- previous_percent, percent and change_percent (in percentage points) a percentage with its
-- decimals, null for counts. pct_change is computed from the exact figures.

create or replace view year_over_year as

with series as (
    select
        geo,
        metric,
        year,
        value,
        percent,
        {{figure}} as figure,
        qualifier,
        lag(year) over by_year as previous_year,
        lag(value) over by_year as previous_value,
        lag(percent) over by_year as previous_percent,
        lag({{figure}}) over by_year as previous_figure,
        lag(qualifier) over by_year as previous_qualifier
    from facts
    window by_year as (partition by geo, metric order by year)
),

final as (
    select
        geo,
        metric,
        previous_year,
        year,
        previous_value,
        value,
        previous_percent,
        percent,
        value - previous_value as change,
        percent - previous_percent as change_percent,
        case when previous_figure <> 0
             then 100.0 * (figure - previous_figure) / previous_figure
        end as pct_change,
        previous_qualifier,
        qualifier,
        previous_qualifier <> 'exact' or qualifier <> 'exact' as not_exact
    from series
    where previous_year is not null
)

select * from final
order by geo, metric, year;
