-- Accepted products: typed and deduplicated; rejected rows are in rejected_rows.
select
    product_id,
    product_name,
    category_id,
    brand,
    is_private_label,
    base_price,
    unit_cost
from {{ ref('base_metro__products') }}
where rejection_reason is null
