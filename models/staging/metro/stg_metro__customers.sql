-- Accepted customers: typed and deduplicated; rejected rows are in rejected_rows.
select
    customer_id,
    segment,
    signup_date,
    home_store_id
from {{ ref('base_metro__customers') }}
where rejection_reason is null
