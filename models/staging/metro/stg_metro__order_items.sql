-- Accepted order items: typed and deduplicated; rejected rows are in rejected_rows.
select
    order_id,
    line_number,
    product_id,
    quantity,
    unit_price,
    discount_amount,
    offer_id
from {{ ref('base_metro__order_items') }}
where rejection_reason is null
