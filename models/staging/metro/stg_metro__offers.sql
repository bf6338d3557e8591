-- Accepted offers: typed and deduplicated; rejected rows are in rejected_rows.
select
    offer_id,
    offer_name,
    offer_level,
    product_id,
    category_id,
    discount_pct,
    start_date,
    end_date
from {{ ref('base_metro__offers') }}
where rejection_reason is null
