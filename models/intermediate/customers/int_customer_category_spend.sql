-- Spend per customer, as-of date and category inside the look-back window ending the day
-- before the as-of date, the category's share of the customer's spend (the category affinity
-- score) and the last purchase day in it.
-- Set-based without a range join: the running totals per (customer, category) by day of
-- int_customer_category_daily_spend, looked up with ASOF joins at the as-of date and at the
-- window's start; the window's spend is their difference. (A range join of every request
-- with every earlier purchase day was the slowest model of the build.)
-- Incremental: each run computes only new pairs and those the landed data since its last run
-- touches (macros/as_of_increments.sql).
{% set touched, settings = ['orders'], ['feature_lookback_days'] %}
{{ config(**as_of_model_config(touched, settings)) }}

with requests_to_compute as (
    {{ as_of_requests() }}
),

first_purchases as (
    select
        customer_id,
        category_id,
        first_purchase_date
    from {{ ref('int_customer_category_daily_spend') }}
    where order_date = first_purchase_date
),

request_categories as (
    select
        requests.customer_id,
        requests.as_of_date,
        first_purchases.category_id,
        {{ dbt.dateadd('day', -1 * var('feature_lookback_days'), 'requests.as_of_date') }} as window_start
    from requests_to_compute as requests
    inner join first_purchases
        on
            requests.customer_id = first_purchases.customer_id
            and requests.as_of_date > first_purchases.first_purchase_date
),

window_end as (
    select
        request_categories.*,
        running.order_date as last_category_purchase_date,
        running.spend_to_date,
        running.lines_to_date
    from request_categories
    {{ asof_join_before(
        'request_categories', ref('int_customer_category_daily_spend'), 'running',
        ['customer_id', 'category_id'], 'as_of_date', kind='inner'
    ) }}
),

spend as (
    select
        window_end.customer_id,
        window_end.as_of_date,
        window_end.category_id,
        window_end.spend_to_date - coalesce(before_window.spend_to_date, 0) as category_spend,
        window_end.lines_to_date - coalesce(before_window.lines_to_date, 0) as category_lines,
        window_end.last_category_purchase_date
    from window_end
    {{ asof_join_before(
        'window_end', ref('int_customer_category_daily_spend'), 'before_window',
        ['customer_id', 'category_id'], 'window_start'
    ) }}
)

select
    customer_id,
    as_of_date,
    category_id,
    cast(category_spend as double) as category_spend,
    category_lines,
    last_category_purchase_date,
    category_spend / nullif(sum(category_spend) over (partition by customer_id, as_of_date), 0)
        as category_spend_share
from spend
where category_lines > 0
