-- A candidate must be an offer valid in its pool's offer window (int_pool_dates: run_date for
-- serving, the evaluation window for evaluation) that the customer had not redeemed before
-- the pool's as-of date, for a customer whose card existed before that date.
select
    candidates.pool,
    candidates.customer_id,
    candidates.offer_id,
    case
        when offers.offer_id is null then 'unknown offer'
        when pools.pool is null then 'unknown pool or as-of date'
        when offers.start_date > pools.offers_valid_to or offers.end_date < pools.offers_valid_from
            then 'offer not valid in the pool''s offer window'
        when customers.signup_date >= candidates.as_of_date then 'customer without a card on the as-of date'
        else 'already redeemed'
    end as problem
from {{ ref('candidate_pool') }} as candidates
left join {{ ref('int_pool_dates') }} as pools
    on candidates.pool = pools.pool and candidates.as_of_date = pools.as_of_date
left join {{ ref('stg_metro__offers') }} as offers on candidates.offer_id = offers.offer_id
left join {{ ref('stg_metro__customers') }} as customers on candidates.customer_id = customers.customer_id
left join {{ ref('stg_metro__redemptions') }} as redemptions
    on
        candidates.customer_id = redemptions.customer_id
        and candidates.offer_id = redemptions.offer_id
        and candidates.as_of_date > redemptions.redemption_date
where
    offers.offer_id is null
    or pools.pool is null
    or offers.start_date > pools.offers_valid_to
    or offers.end_date < pools.offers_valid_from
    or customers.signup_date >= candidates.as_of_date
    or redemptions.redemption_id is not null
