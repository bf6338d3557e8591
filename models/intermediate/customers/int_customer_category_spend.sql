-- Spend per customer, as-of date and category inside the look-back window ending the day
-- before the as-of date, the category's share of the customer's spend (the category affinity
-- score) and the last purchase day in it.
-- Set-based without a range join: the running totals per (customer, category) by day of
-- int_customer_category_daily_spend, looked up with ASOF joins at the as-of date and at the
-- window's start; the window's spend is their difference. (A range join of every request
-- with every earlier purchase day was the slowest model of the build.) An ASOF join sorts
-- all it is given (at a million customers this model spilled 46 GiB to disk), so the lookup at
-- the window's start is made only for the categories first bought before it, among the days
-- before the latest window start (with a look-back as long as the history: almost none).
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
        first_purchases.first_purchase_date,
        {{ dbt.dateadd('day', -1 * var('feature_lookback_days'), 'requests.as_of_date') }} as window_start
    from requests_to_compute as requests
    inner join first_purchases
        on
            requests.customer_id = first_purchases.customer_id
            and requests.as_of_date > first_purchases.first_purchase_date
),

running_totals as (
    -- only what the lookups return (spend as DECIMAL(18, 4): the ASOF joins sort every byte)
    select
        customer_id,
        category_id,
        order_date,
        cast(spend_to_date as decimal(18, 4)) as spend_to_date,
        lines_to_date
    from {{ ref('int_customer_category_daily_spend') }}
),

window_end as (
    select
        request_categories.customer_id,
        request_categories.as_of_date,
        request_categories.category_id,
        running.order_date as last_category_purchase_date,
        running.spend_to_date,
        running.lines_to_date
    from request_categories
    {{ asof_join_before(
        'request_categories', 'running_totals', 'running', ['customer_id', 'category_id'], 'as_of_date', kind='inner'
    ) }}
),

bought_before_window as (
    select *
    from request_categories
    where first_purchase_date < window_start
),

before_window as (
    select
        bought_before_window.customer_id,
        bought_before_window.as_of_date,
        bought_before_window.category_id,
        running.spend_to_date,
        running.lines_to_date
    from bought_before_window
    {{ asof_join_before(
        'bought_before_window',
        '(select * from running_totals where order_date < (select max(window_start) from bought_before_window))',
        'running', ['customer_id', 'category_id'], 'window_start', kind='inner'
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
    left join before_window
        on
            window_end.customer_id = before_window.customer_id
            and window_end.as_of_date = before_window.as_of_date
            and window_end.category_id = before_window.category_id
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
