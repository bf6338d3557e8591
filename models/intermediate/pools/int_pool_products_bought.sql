-- How many orders of each pool customer contained each product a product-level offer of the
-- pool promotes, before the pool's date. Only lines of offered products are read, so the
-- evaluation pool costs little. Read by the repeat-purchase strategy and the P-TopFreq
-- baseline of evaluation.
with pool_products as (
    select distinct
        pool,
        product_id
    from {{ ref('int_offers_live') }}
    where offer_level = 'product'
)

select
    customers.pool,
    customers.as_of_date,
    customers.customer_id,
    order_lines.product_id,
    count(distinct order_lines.order_id) as times_bought
from {{ ref('int_order_lines_enriched') }} as order_lines
inner join pool_products on order_lines.product_id = pool_products.product_id
inner join {{ ref('int_pool_customers') }} as customers
    on
        pool_products.pool = customers.pool
        and order_lines.customer_id = customers.customer_id
        and order_lines.order_date < customers.as_of_date
group by customers.pool, customers.as_of_date, customers.customer_id, order_lines.product_id
