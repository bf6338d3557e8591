-- Every (customer, product) bought before run_date: how often (distinct orders) and when.
select
    customer_id,
    product_id,
    count(distinct order_id) as times_bought,
    min(order_date) as first_purchase_date,
    max(order_date) as last_purchase_date
from {{ ref('int_order_lines_as_of_run_date') }}
group by customer_id, product_id
