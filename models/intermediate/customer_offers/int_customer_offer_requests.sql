-- The (customer, offer, as-of date) triples the customer-history features of an offer are
-- computed for: every candidate of every pool as of the pool's date, and every impression
-- before run_date (shown or control) as of the Monday that starts its week (training
-- examples). One code path serves all, so training and scoring cannot drift apart.
select
    customer_id,
    offer_id,
    as_of_date
from {{ ref('candidate_pool') }}
union
select
    customer_id,
    offer_id,
    {{ impression_feature_date('impression_date') }} as as_of_date
from {{ ref('stg_metro__impressions') }}
where impression_date < {{ run_date() }}
