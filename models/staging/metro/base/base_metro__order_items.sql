-- Typed order lines with a rejection_reason per row (null = accepted).
with landed as (
    select * from {{ source('metro_raw', 'order_items') }}
),

orders as (
    select order_id
    from {{ ref('base_metro__orders') }}
    where rejection_reason is null
),

products as (
    select product_id
    from {{ ref('base_metro__products') }}
    where rejection_reason is null
),

offers as (
    select offer_id
    from {{ ref('base_metro__offers') }}
    where rejection_reason is null
),

typed as (
    select
        cast(order_id as bigint) as order_id,
        cast(line_number as integer) as line_number,
        cast(product_id as bigint) as product_id,
        cast(quantity as integer) as quantity,
        cast(unit_price as double) as unit_price,
        cast(discount_amount as double) as discount_amount,
        cast(offer_id as bigint) as offer_id,
        filename as source_file,
        to_json(landed) as source_row
    from landed
),

ranked as (
    select
        *,
        row_number() over (
            partition by order_id, line_number order by source_file desc, source_row
        ) as key_rank
    from typed
)

select
    ranked.* exclude (key_rank),
    case
        when ranked.order_id is null or ranked.line_number is null then 'null_key'
        when ranked.key_rank > 1 then 'duplicate_key'
        when orders.order_id is null then 'unknown_order'
        when products.product_id is null then 'unknown_product'
        when ranked.offer_id is not null and offers.offer_id is null then 'unknown_offer'
        when ranked.quantity is null or ranked.quantity <= 0 then 'non_positive_quantity'
        when ranked.unit_price is null or ranked.unit_price < 0 then 'negative_price'
        when ranked.discount_amount is null or ranked.discount_amount < 0 then 'negative_discount'
    end as rejection_reason
from ranked
left join orders on ranked.order_id = orders.order_id
left join products on ranked.product_id = products.product_id
left join offers on ranked.offer_id = offers.offer_id
