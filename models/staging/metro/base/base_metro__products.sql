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
        to_json(landed) as source_row
    from landed
),

ranked as (
    select
        *,
        row_number() over (
            partition by product_id order by source_file desc, source_row
        ) as key_rank
    from typed
)

select
    ranked.* exclude (key_rank),
    case
        when ranked.product_id is null then 'null_key'
        when ranked.key_rank > 1 then 'duplicate_key'
        when categories.category_id is null then 'unknown_category'
        when ranked.base_price is null or ranked.base_price <= 0 then 'non_positive_price'
        when ranked.unit_cost is null or ranked.unit_cost < 0 then 'negative_cost'
    end as rejection_reason
from ranked
left join categories on ranked.category_id = categories.category_id
