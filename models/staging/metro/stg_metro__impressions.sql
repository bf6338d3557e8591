-- Accepted impressions: typed and deduplicated; rejected rows are in rejected_rows.
select
    impression_id,
    customer_id,
    offer_id,
    impression_date,
    policy,
    selection_propensity,
    is_control
from {{ ref('base_metro__impressions') }}
where rejection_reason is null
