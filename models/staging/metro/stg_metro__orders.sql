-- Accepted orders: typed and deduplicated; rejected rows are in rejected_rows.
select
    order_id,
    customer_id,
    order_date,
    store_id
from {{ ref('base_metro__orders') }}
where rejection_reason is null
