-- The ranking task, labelled: one row per candidate of every labelled pool (int_pool_dates:
-- 'evaluation' and 'training_<n>') with its features as of the pool's date
-- (candidate_features) and whether the customer redeemed the offer in the pool's label window
-- [as-of date, label_window_end). relevant_offers counts every offer the customer redeemed
-- there, also those retrieval missed, so recall is measured against all of them. The rankers
-- learn from the training pools, validate on training_1 and are evaluated on 'evaluation'.
with pools as (
    select
        pool,
        pool_role,
        as_of_date,
        label_window_end
    from {{ ref('int_pool_dates') }}
    where label_window_end is not null
),

relevant as (
    select
        pool,
        customer_id,
        offer_id
    from {{ ref('int_pool_redemptions') }}
),

relevant_per_customer as (
    select
        pool,
        customer_id,
        count(*) as relevant_offers
    from relevant
    group by pool, customer_id
)

-- every column of candidate_features (the contract lists them), then the label
select
    features.*,  -- noqa: AM04
    pools.pool_role,
    pools.label_window_end,
    relevant.offer_id is not null as redeemed_in_window,
    relevant_per_customer.relevant_offers
from {{ ref('candidate_features') }} as features
inner join pools on features.pool = pools.pool
inner join relevant_per_customer
    on features.pool = relevant_per_customer.pool and features.customer_id = relevant_per_customer.customer_id
left join relevant
    on
        features.pool = relevant.pool
        and features.customer_id = relevant.customer_id
        and features.offer_id = relevant.offer_id
