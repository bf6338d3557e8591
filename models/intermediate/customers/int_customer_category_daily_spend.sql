-- Per customer, category and day with a purchase: the day's spend and lines in the category,
-- running totals per (customer, category) up to that day and the first day the customer
-- bought in it. int_customer_category_spend looks the totals up at an as-of date and at the
-- start of its window (ASOF joins); their difference is the window's spend.
-- Incremental (macros/daily_increments.sql): a run appends the days after the last one it
-- holds, each (customer, category)'s totals carried on from its last held row; the pre-hook
-- has dropped the days landed data touched. A daily run reads a day of order lines.
-- Built after int_product_set_daily_purchases, never beside it: on a full build each holds a
-- window over every (key, day) of the history, and side by side at a million customers they
-- ran out of the 2 GB memory limit (alone: 136 s at 2.6 GB and 238 s at 2.7 GB peak).
-- depends_on: {{ ref('int_product_set_daily_purchases') }}
{{ config(**daily_fact_config([])) }}

with daily as (
    select
        customer_id,
        category_id,
        order_date,
        sum(line_revenue) as category_spend,
        count(*) as category_lines
    from {{ ref('int_order_lines_enriched') }}
    where order_date > coalesce({{ last_held_day() }}, date '0001-01-01')
    group by customer_id, category_id, order_date
),

carried as (
    {{ carried_running_totals(
        ['customer_id', 'category_id'], ['spend_to_date', 'lines_to_date', 'first_purchase_date']
    ) }}
)

select
    daily.customer_id,
    daily.category_id,
    daily.order_date,
    daily.category_spend,
    daily.category_lines,
    coalesce(carried.spend_to_date, 0) + sum(daily.category_spend) over customer_category as spend_to_date,
    coalesce(carried.lines_to_date, 0) + sum(daily.category_lines) over customer_category as lines_to_date,
    coalesce(
        carried.first_purchase_date, min(daily.order_date) over (partition by daily.customer_id, daily.category_id)
    ) as first_purchase_date
from daily
left join carried on daily.customer_id = carried.customer_id and daily.category_id = carried.category_id
window customer_category as (
    partition by daily.customer_id, daily.category_id
    order by daily.order_date rows between unbounded preceding and current row
)
