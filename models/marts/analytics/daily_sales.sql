-- Sales per day and segment before run_date, for the dashboard's seasonality view: orders,
-- buying customers and revenue of accepted order lines.
select
    order_lines.order_date,
    customers.segment,
    count(distinct order_lines.order_id) as orders,
    count(distinct order_lines.customer_id) as customers,
    cast(sum(order_lines.line_revenue) as double) as revenue
from {{ ref('int_order_lines_as_of_run_date') }} as order_lines
inner join {{ ref('stg_metro__customers') }} as customers on order_lines.customer_id = customers.customer_id
group by order_lines.order_date, customers.segment
