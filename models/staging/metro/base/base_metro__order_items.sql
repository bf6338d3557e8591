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
        file_row_number
    from landed
),

duplicates as (
    {{ duplicate_key_ranks('typed', ['order_id', 'line_number']) }}
)

select
    typed.*,
    case
        when typed.order_id is null or typed.line_number is null then 'null_key'
        when duplicates.key_rank > 1 then 'duplicate_key'
        when orders.order_id is null then 'unknown_order'
        when products.product_id is null then 'unknown_product'
        when typed.offer_id is not null and offers.offer_id is null then 'unknown_offer'
        when typed.quantity is null or typed.quantity <= 0 then 'non_positive_quantity'
        when typed.unit_price is null or typed.unit_price < 0 then 'negative_price'
        when typed.discount_amount is null or typed.discount_amount < 0 then 'negative_discount'
    end as rejection_reason
from typed
left join duplicates
    on typed.source_file = duplicates.source_file and typed.file_row_number = duplicates.file_row_number
left join orders on typed.order_id = orders.order_id
left join products on typed.product_id = products.product_id
left join offers on typed.offer_id = offers.offer_id
