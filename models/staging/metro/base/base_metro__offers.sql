-- Typed offers with a rejection_reason per row (null = accepted).
with landed as (
    select * from {{ source('metro_raw', 'offers') }}
),

products as (
    select product_id, category_id
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
        to_json(landed) as source_row
    from landed
),

ranked as (
    select
        *,
        row_number() over (
            partition by offer_id order by source_file desc, source_row
        ) as key_rank
    from typed
)

select
    ranked.* exclude (key_rank),
    case
        when ranked.offer_id is null then 'null_key'
        when ranked.key_rank > 1 then 'duplicate_key'
        when ranked.offer_level not in ('product', 'category') then 'unknown_offer_level'
        when ranked.offer_level = 'product' and products.product_id is null then 'unknown_product'
        when ranked.offer_level = 'product' and products.category_id != ranked.category_id
            then 'category_mismatch'
        when categories.category_id is null then 'unknown_category'
        when ranked.discount_pct is null or ranked.discount_pct <= 0 or ranked.discount_pct >= 1
            then 'discount_out_of_range'
        when ranked.start_date is null or ranked.end_date is null or ranked.end_date < ranked.start_date
            then 'invalid_validity_window'
    end as rejection_reason
from ranked
left join products on ranked.product_id = products.product_id
left join categories on ranked.category_id = categories.category_id
