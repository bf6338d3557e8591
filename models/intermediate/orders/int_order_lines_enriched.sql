-- Accepted order lines with their order's customer and date and the product's attributes:
-- the one wide fact every feature reads. Line revenue is exact money (macros/money.sql), so
-- every sum of it is the same in every build.
-- Incremental by order day (macros/daily_increments.sql): the pre-hook drops the days that
-- batches landed since the last run touch (a late or corrected order, its lines, a re-landed
-- product, offer or customer), and a run appends the lines of the days after the last one it
-- still holds, so a daily run writes a day of lines instead of the whole history again.
{{ config(**daily_fact_config([])) }}

select
    items.order_id,
    items.line_number,
    orders.customer_id,
    orders.order_date,
    items.product_id,
    products.category_id,
    products.is_private_label,
    items.quantity,
    items.unit_price,
    items.discount_amount,
    items.offer_id,
    {{ money('items.quantity * items.unit_price') }} as line_revenue,
    items.offer_id is not null as is_promo_line
from {{ ref('stg_metro__order_items') }} as items
inner join {{ ref('stg_metro__orders') }} as orders on items.order_id = orders.order_id
inner join {{ ref('stg_metro__products') }} as products on items.product_id = products.product_id
where orders.order_date > coalesce({{ last_held_day() }}, date '0001-01-01')
