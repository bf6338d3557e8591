-- Accepted (offer, product) pairs: the products each offer discounts; rejected rows are in
-- rejected_rows.
select
    offer_id,
    product_id
from {{ ref('base_metro__offer_products') }}
where rejection_reason is null
