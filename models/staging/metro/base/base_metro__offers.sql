-- Typed offers with a rejection_reason per row (null = accepted).
with landed as (
    select * from {{ source('metro_raw', 'offers') }}
),

products as (
    select
        product_id,
        category_id
    from {{ ref('base_metro__products') }}
    where rejection_reason is null
),

categories as (
    select category_id from {{ ref('categories') }}
),

typed as (
    select
        cast(offer_id as bigint) as offer_id,
        cast(offer_name as varchar) as offer_name,
        lower(trim(offer_level)) as offer_level,
        cast(product_id as bigint) as product_id,
        cast(category_id as integer) as category_id,
        cast(discount_pct as double) as discount_pct,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        filename as source_file,
        file_row_number
    from landed
),

duplicates as (
    {{ duplicate_key_ranks('typed', ['offer_id']) }}
)

select
    typed.*,
    case
        when typed.offer_id is null then 'null_key'
        when duplicates.key_rank > 1 then 'duplicate_key'
        when typed.offer_level not in ('product', 'category') then 'unknown_offer_level'
        when typed.offer_level = 'product' and products.product_id is null then 'unknown_product'
        when typed.offer_level = 'product' and products.category_id != typed.category_id
            then 'category_mismatch'
        when categories.category_id is null then 'unknown_category'
        when typed.discount_pct is null or typed.discount_pct <= 0 or typed.discount_pct >= 1
            then 'discount_out_of_range'
        when typed.start_date is null or typed.end_date is null or typed.end_date < typed.start_date
            then 'invalid_validity_window'
    end as rejection_reason
from typed
left join duplicates
    on typed.source_file = duplicates.source_file and typed.file_row_number = duplicates.file_row_number
left join products on typed.product_id = products.product_id
left join categories on typed.category_id = categories.category_id
