-- How much each strategy contributes to the pool as of run_date: candidates it proposed,
-- its share of pool rows, the rows only it proposed, and the customers it reached.
with pool as (
    select
        customer_id,
        offer_id,
        proposed_by
    from {{ ref('candidate_pool') }}
),

pool_size as (
    select
        count(*) as pool_rows,
        count(distinct customer_id) as pool_customers
    from pool
),

by_strategy as (
    select
        strategy.strategy_name,
        count(*) as candidates,
        count(case when len(pool.proposed_by) = 1 then 1 end) as exclusive_candidates,
        count(distinct pool.customer_id) as customers_reached
    from pool
    cross join unnest(pool.proposed_by) as strategy (strategy_name)
    group by strategy.strategy_name
)

select
    strategies.strategy_name,
    {{ run_date() }} as as_of_date,
    coalesce(by_strategy.candidates, 0) as candidates,
    coalesce(by_strategy.exclusive_candidates, 0) as exclusive_candidates,
    coalesce(by_strategy.customers_reached, 0) as customers_reached,
    coalesce(by_strategy.candidates, 0) / nullif(pool_size.pool_rows, 0) as share_of_pool,
    pool_size.pool_rows / nullif(pool_size.pool_customers, 0) as mean_pool_size_per_customer
from {{ ref('candidate_strategies') }} as strategies
cross join pool_size
left join by_strategy on strategies.strategy_name = by_strategy.strategy_name
