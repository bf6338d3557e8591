-- Recency, frequency and monetary value per customer as of run_date.
-- recency: days since the last order (any time before run_date; null without orders);
-- frequency and monetary: orders and spend inside the look-back window.
with order_totals as (
    select
        customer_id,
        order_id,
        order_date,
        sum(line_revenue) as order_value
    from {{ ref('int_order_lines_as_of_run_date') }}
    group by customer_id, order_id, order_date
),

per_customer as (
    select
        customer_id,
        max(order_date) as last_order_date,
        count(case when order_date >= {{ lookback_start() }} then order_id end) as frequency,
        coalesce(sum(case when order_date >= {{ lookback_start() }} then order_value end), 0) as monetary
    from order_totals
    group by customer_id
)

select
    customers.customer_id,
    per_customer.last_order_date,
    {{ days_between('per_customer.last_order_date', run_date()) }} as recency_days,
    coalesce(per_customer.frequency, 0) as frequency,
    coalesce(per_customer.monetary, 0) as monetary,
    case
        when per_customer.frequency > 0 then per_customer.monetary / per_customer.frequency
    end as avg_basket_value
from {{ ref('int_customers_active') }} as customers
left join per_customer on customers.customer_id = per_customer.customer_id
