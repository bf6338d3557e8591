-- Spend per customer and category inside the look-back window, with the category's share of
-- the customer's spend (the category affinity score) and the last purchase day in it.
with spend as (
    select
        customer_id,
        category_id,
        sum(line_revenue) as category_spend,
        count(*) as category_lines,
        max(order_date) as last_category_purchase_date
    from {{ ref('int_order_lines_as_of_run_date') }}
    where order_date >= {{ lookback_start() }}
    group by customer_id, category_id
)

select
    customer_id,
    category_id,
    category_spend,
    category_lines,
    last_category_purchase_date,
    category_spend / nullif(sum(category_spend) over (partition by customer_id), 0) as category_spend_share
from spend
