-- Typed products with a rejection_reason per row (null = accepted).
with landed as (
    select * from {{ source('metro_raw', 'products') }}
),

categories as (
    select category_id from {{ ref('categories') }}
),

typed as (
    select
        cast(product_id as bigint) as product_id,
        cast(product_name as varchar) as product_name,
        cast(category_id as integer) as category_id,
        cast(brand as varchar) as brand,
        cast(is_private_label as boolean) as is_private_label,
        cast(base_price as double) as base_price,
        cast(unit_cost as double) as unit_cost,
        filename as source_file,
        file_row_number
    from landed
),

duplicates as (
    {{ duplicate_key_ranks('typed', ['product_id']) }}
)

select
    typed.*,
    case
        when typed.product_id is null then 'null_key'
        when duplicates.key_rank > 1 then 'duplicate_key'
        when categories.category_id is null then 'unknown_category'
        when typed.base_price is null or typed.base_price <= 0 then 'non_positive_price'
        when typed.unit_cost is null or typed.unit_cost < 0 then 'negative_cost'
    end as rejection_reason
from typed
left join duplicates
    on typed.source_file = duplicates.source_file and typed.file_row_number = duplicates.file_row_number
left join categories on typed.category_id = categories.category_id
