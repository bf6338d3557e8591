-- How popular an offer's products are as of a date (every request of
-- int_offer_feature_requests): orders with any of them in the var
-- segment_popularity_window_days days before the as-of date per customer with a card before
-- it, in each segment and over all segments. From running totals per (product set, segment)
-- looked up with ASOF joins at the as-of date and at the window's start.
with segment_daily as (
    select
        purchases.product_set_id,
        customers.segment,
        purchases.order_date,
        sum(purchases.orders) as orders
    from {{ ref('int_product_set_daily_purchases') }} as purchases
    inner join {{ ref('stg_metro__customers') }} as customers on purchases.customer_id = customers.customer_id
    group by purchases.product_set_id, customers.segment, purchases.order_date
),

segment_running as (
    select
        product_set_id,
        segment,
        order_date,
        sum(orders) over (
            partition by product_set_id, segment
            order by order_date rows between unbounded preceding and current row
        ) as orders_to_date
    from segment_daily
),

signups as (
    select
        segment,
        signup_date,
        sum(count(*)) over (partition by segment order by signup_date) as customers_to_date
    from {{ ref('stg_metro__customers') }}
    group by segment, signup_date
),

segments as (
    select distinct segment from {{ ref('stg_metro__customers') }}
),

requests as (
    select
        requests.offer_id,
        requests.as_of_date,
        product_sets.product_set_id,
        segments.segment,
        {{ dbt.dateadd('day', -1 * var('segment_popularity_window_days'), 'requests.as_of_date') }}
            as window_start
    from {{ ref('int_offer_feature_requests') }} as requests
    inner join {{ ref('int_offer_product_sets') }} as product_sets on requests.offer_id = product_sets.offer_id
    cross join segments
),

window_end as (
    select
        requests.*,
        running.orders_to_date
    from requests
    {{ asof_join_before('requests', 'segment_running', 'running', ['product_set_id', 'segment'], 'as_of_date') }}
),

per_segment as (
    select
        window_end.offer_id,
        window_end.as_of_date,
        window_end.segment,
        coalesce(window_end.orders_to_date, 0) - coalesce(before_window.orders_to_date, 0) as window_orders,
        coalesce(signups.customers_to_date, 0) as segment_customers
    from window_end
    {{ asof_join_before(
        'window_end', 'segment_running', 'before_window', ['product_set_id', 'segment'], 'window_start'
    ) }}
    {{ asof_join_before('window_end', 'signups', 'signups', ['segment'], 'as_of_date', totals_date='signup_date') }}
)

select
    offer_id,
    as_of_date,
    segment,
    coalesce(window_orders / nullif(segment_customers, 0), 0) as offer_product_segment_popularity,
    coalesce(
        sum(window_orders) over offer_date / nullif(sum(segment_customers) over offer_date, 0), 0
    ) as offer_product_popularity
from per_segment
window offer_date as (partition by offer_id, as_of_date)
