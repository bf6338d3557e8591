-- Recency, frequency, monetary value and basket mix per customer and as-of date, from orders
-- strictly before the as-of date. Recency counts from the last order ever before it (null
-- without orders); frequency, monetary and the basket mix cover the var
-- feature_lookback_days window ending the day before it.
-- Incremental: each run computes only new pairs and those the landed data since its last run
-- touches (macros/as_of_increments.sql).
{% set touched, settings = ['orders'], ['feature_lookback_days'] %}
{{ config(**as_of_model_config(touched, settings)) }}

with requests_to_compute as (
    {{ as_of_requests() }}
),

windowed as (
    select
        requests.customer_id,
        requests.as_of_date,
        orders.order_id,
        orders.order_date,
        orders.order_value,
        orders.private_label_value,
        orders.order_lines,
        orders.promo_lines,
        orders.order_date >= {{ dbt.dateadd('day', -1 * var('feature_lookback_days'), 'requests.as_of_date') }}
            as in_window
    from requests_to_compute as requests
    left join {{ ref('int_customer_orders') }} as orders
        on requests.customer_id = orders.customer_id and requests.as_of_date > orders.order_date
),

per_request as (
    select
        customer_id,
        as_of_date,
        max(order_date) as last_order_date,
        count(case when in_window then order_id end) as frequency,
        coalesce(sum(case when in_window then order_value end), 0) as monetary,
        sum(case when in_window then private_label_value end) as private_label_value,
        sum(case when in_window then order_lines end) as order_lines,
        sum(case when in_window then promo_lines end) as promo_lines
    from windowed
    group by customer_id, as_of_date
)

select
    customer_id,
    as_of_date,
    last_order_date,
    {{ days_between('last_order_date', 'as_of_date') }} as recency_days,
    frequency,
    cast(monetary as double) as monetary,
    case when frequency > 0 then monetary / frequency end as avg_basket_value,
    private_label_value / nullif(monetary, 0) as private_label_spend_share,
    promo_lines / nullif(order_lines, 0) as promo_line_share
from per_request
