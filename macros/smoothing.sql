{% macro smoothed_rate(successes, trials, prior_rate, prior_strength) -%}
    ({{ successes }} + {{ prior_strength }} * {{ prior_rate }}) / ({{ trials }} + {{ prior_strength }})
{%- endmacro %}

{% macro redemption_rate_before(as_of_dates, daily_activity) -%}
    select
        dates.as_of_date,
        coalesce(sum(daily.redeemed) / nullif(sum(daily.shown), 0), 0) as redemption_rate
    from {{ as_of_dates }} as dates
    left join {{ daily_activity }} as daily on dates.as_of_date > daily.activity_date
    group by dates.as_of_date
{%- endmacro %}
