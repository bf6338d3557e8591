-- Per customer, product set (int_offer_product_sets) and day: the orders, lines and spend
-- with any of the set's products, and running totals per (customer, set) up to that day.
-- decay_weight_to_date is the running sum of orders x 2^((day - first day of data) /
-- var offer_product_half_life_days): divided by 2^((as-of - first day) / half-life) it is
-- the time-decayed order count at any later as-of date (int_customer_offer_purchases), so
-- one ASOF lookup answers it without a range join.
with set_members as (
    select distinct
        product_sets.product_set_id,
        offer_products.product_id
    from {{ ref('stg_metro__offer_products') }} as offer_products
    inner join {{ ref('int_offer_product_sets') }} as product_sets on offer_products.offer_id = product_sets.offer_id
),

first_day as (
    select min(order_date) as first_order_date
    from {{ ref('int_order_lines_enriched') }}
),

set_orders as (
    -- one row per order and product set it touched (cheaper than a distinct count per day)
    select
        order_lines.order_id,
        order_lines.customer_id,
        members.product_set_id,
        order_lines.order_date,
        count(*) as order_lines,
        sum(order_lines.line_revenue) as spend
    from {{ ref('int_order_lines_enriched') }} as order_lines
    inner join set_members as members on order_lines.product_id = members.product_id
    group by order_lines.order_id, order_lines.customer_id, members.product_set_id, order_lines.order_date
),

daily as (
    select
        customer_id,
        product_set_id,
        order_date,
        count(*) as orders,
        sum(order_lines) as order_lines,
        sum(spend) as spend
    from set_orders
    group by customer_id, product_set_id, order_date
)

select
    daily.customer_id,
    daily.product_set_id,
    daily.order_date,
    daily.orders,
    daily.order_lines,
    daily.spend,
    cast(sum(daily.orders) over customer_set as bigint) as orders_to_date,
    sum(daily.spend) over customer_set as spend_to_date,
    sum(
        daily.orders
        * pow(
            2.0, {{ days_between('first_day.first_order_date', 'daily.order_date') }}
            / {{ var('offer_product_half_life_days') }}
        )
    ) over customer_set as decay_weight_to_date,
    first_day.first_order_date
from daily
cross join first_day
window customer_set as (
    partition by daily.customer_id, daily.product_set_id
    order by daily.order_date rows between unbounded preceding and current row
)
