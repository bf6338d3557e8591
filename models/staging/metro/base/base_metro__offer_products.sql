-- Typed (offer, product) pairs with a rejection_reason per row (null = accepted).
with landed as (
    select * from {{ source('metro_raw', 'offer_products') }}
),

offers as (
    select offer_id
    from {{ ref('base_metro__offers') }}
    where rejection_reason is null
),

products as (
    select product_id
    from {{ ref('base_metro__products') }}
    where rejection_reason is null
),

typed as (
    select
        cast(offer_id as bigint) as offer_id,
        cast(product_id as bigint) as product_id,
        filename as source_file,
        file_row_number
    from landed
),

duplicates as (
    {{ duplicate_key_ranks('typed', ['offer_id', 'product_id']) }}
)

select
    typed.*,
    case
        when typed.offer_id is null or typed.product_id is null then 'null_key'
        when duplicates.key_rank > 1 then 'duplicate_key'
        when offers.offer_id is null then 'unknown_offer'
        when products.product_id is null then 'unknown_product'
    end as rejection_reason
from typed
left join duplicates
    on typed.source_file = duplicates.source_file and typed.file_row_number = duplicates.file_row_number
left join offers on typed.offer_id = offers.offer_id
left join products on typed.product_id = products.product_id
