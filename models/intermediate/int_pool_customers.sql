-- The customers each candidate pool is retrieved for: every customer whose card existed
-- before run_date (serving), and the customers offline evaluation ranks for - those with a
-- card before the cutoff who redeemed at least one offer in the evaluation window (a customer
-- without any relevant offer adds nothing to ranking metrics).
with evaluation_redeemers as (
    select distinct redemptions.customer_id
    from {{ ref('stg_metro__redemptions') }} as redemptions
    inner join {{ ref('int_pool_dates') }} as pools
        on
            pools.pool = 'evaluation'
            and redemptions.redemption_date >= pools.as_of_date
            and redemptions.redemption_date < {{ run_date() }}
)

select
    pools.pool,
    pools.as_of_date,
    customers.customer_id,
    customers.segment
from {{ ref('int_pool_dates') }} as pools
inner join {{ ref('stg_metro__customers') }} as customers on pools.as_of_date > customers.signup_date
left join evaluation_redeemers on customers.customer_id = evaluation_redeemers.customer_id
where pools.pool = 'serving' or evaluation_redeemers.customer_id is not null
