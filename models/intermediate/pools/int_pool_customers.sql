-- The customers each candidate pool is retrieved for: every customer whose card existed
-- before run_date (serving), and for a labelled pool (evaluation, training_<n>) the customers
-- with a card before its date who redeemed at least one offer in its label window (a
-- customer without any relevant offer adds nothing to ranking metrics or ranking losses).
with window_redeemers as (
    select distinct
        pool,
        customer_id
    from {{ ref('int_pool_redemptions') }}
)

select
    pools.pool,
    pools.as_of_date,
    customers.customer_id,
    customers.segment
from {{ ref('int_pool_dates') }} as pools
inner join {{ ref('stg_metro__customers') }} as customers on pools.as_of_date > customers.signup_date
left join window_redeemers
    on pools.pool = window_redeemers.pool and customers.customer_id = window_redeemers.customer_id
where pools.pool_role = 'serving' or window_redeemers.customer_id is not null
