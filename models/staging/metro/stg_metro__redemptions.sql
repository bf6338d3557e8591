-- Accepted redemptions: typed and deduplicated; rejected rows are in rejected_rows.
select
    redemption_id,
    impression_id,
    customer_id,
    offer_id,
    order_id,
    product_id,
    redemption_date,
    discount_amount
from {{ ref('base_metro__redemptions') }}
where rejection_reason is null
