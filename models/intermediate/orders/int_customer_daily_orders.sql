-- Per customer and day with an order: the day's orders, value and basket mix, and running
-- totals per customer up to that day. int_customer_rfm looks the totals up at an as-of date and
-- at the start of its window (ASOF joins); their difference is the window's figure.
-- Incremental (macros/daily_increments.sql): a run appends the days after the last one it
-- holds, each customer's totals carried on from its last held row; the pre-hook has dropped
-- the days landed data touched. A daily run reads a day of order lines.
-- Named below only to run after int_customer_category_daily_spend: two windows over the whole
-- history side by side ran out of DuckDB's 2 GB at a million customers (see that model).
-- depends_on: {{ ref('int_customer_category_daily_spend') }}
{{ config(**daily_fact_config([])) }}

with orders as (
    select
        customer_id,
        order_id,
        order_date,
        sum(line_revenue) as order_value,
        sum(case when is_private_label then line_revenue else 0 end) as private_label_value,
        count(*) as order_lines,
        count(case when is_promo_line then 1 end) as promo_lines
    from {{ ref('int_order_lines_enriched') }}
    where order_date > coalesce({{ last_held_day() }}, date '0001-01-01')
    group by customer_id, order_id, order_date
),

daily as (
    select
        customer_id,
        order_date,
        count(*) as orders,
        sum(order_value) as order_value,
        sum(private_label_value) as private_label_value,
        sum(order_lines) as order_lines,
        sum(promo_lines) as promo_lines
    from orders
    group by customer_id, order_date
),

carried as (
    {{ carried_running_totals(
        ['customer_id'],
        ['orders_to_date', 'value_to_date', 'private_label_value_to_date', 'lines_to_date', 'promo_lines_to_date']
    ) }}
)

select
    daily.customer_id,
    daily.order_date,
    daily.orders,
    daily.order_value,
    daily.private_label_value,
    daily.order_lines,
    daily.promo_lines,
    coalesce(carried.orders_to_date, 0) + sum(daily.orders) over customer_days as orders_to_date,
    coalesce(carried.value_to_date, 0) + sum(daily.order_value) over customer_days as value_to_date,
    coalesce(carried.private_label_value_to_date, 0)
    + sum(daily.private_label_value) over customer_days as private_label_value_to_date,
    coalesce(carried.lines_to_date, 0) + sum(daily.order_lines) over customer_days as lines_to_date,
    coalesce(carried.promo_lines_to_date, 0) + sum(daily.promo_lines) over customer_days as promo_lines_to_date
from daily
left join carried on daily.customer_id = carried.customer_id
window customer_days as (
    partition by daily.customer_id
    order by daily.order_date rows between unbounded preceding and current row
)
