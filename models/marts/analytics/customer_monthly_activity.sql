-- Each customer's orders, revenue and redeemed offers per calendar month before run_date:
-- the purchase history the dashboard shows for one customer.
with orders as (
    select
        customer_id,
        cast(date_trunc('month', order_date) as date) as activity_month,
        count(distinct order_id) as orders,
        sum(line_revenue) as revenue
    from {{ ref('int_order_lines_as_of_run_date') }}
    group by customer_id, activity_month
),

redemptions as (
    select
        customer_id,
        cast(date_trunc('month', redemption_date) as date) as activity_month,
        count(*) as redemptions
    from {{ ref('stg_metro__redemptions') }}
    where redemption_date < {{ run_date() }}
    group by customer_id, activity_month
)

select
    coalesce(orders.customer_id, redemptions.customer_id) as customer_id,
    coalesce(orders.activity_month, redemptions.activity_month) as activity_month,
    coalesce(orders.orders, 0) as orders,
    cast(coalesce(orders.revenue, 0) as double) as revenue,
    coalesce(redemptions.redemptions, 0) as redemptions
from orders
full outer join redemptions
    on orders.customer_id = redemptions.customer_id and orders.activity_month = redemptions.activity_month
