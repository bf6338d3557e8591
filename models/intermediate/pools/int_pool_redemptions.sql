-- The offers each customer redeemed in each labelled pool's window [as-of date,
-- label_window_end) (int_pool_dates): who a labelled pool is retrieved for
-- (int_pool_customers) and what is relevant in it (pool_examples).
select distinct
    pools.pool,
    redemptions.customer_id,
    redemptions.offer_id
from {{ ref('stg_metro__redemptions') }} as redemptions
inner join {{ ref('int_pool_dates') }} as pools
    on
        redemptions.redemption_date >= pools.as_of_date
        and redemptions.redemption_date < pools.label_window_end
