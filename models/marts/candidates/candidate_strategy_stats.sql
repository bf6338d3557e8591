-- How much each strategy in use (macro active_candidate_strategies) contributes to each
-- candidate pool: candidates it proposed, its share of pool rows, the rows only it proposed,
-- and the customers it reached.
with pool_size as (
    select
        pool,
        as_of_date,
        count(*) as pool_rows,
        count(distinct customer_id) as pool_customers
    from {{ ref('candidate_pool') }}
    group by pool, as_of_date
),

by_strategy as (
    select
        candidates.pool,
        strategy.strategy_name,
        count(*) as candidates,
        count(case when len(candidates.proposed_by) = 1 then 1 end) as exclusive_candidates,
        count(distinct candidates.customer_id) as customers_reached
    from {{ ref('candidate_pool') }} as candidates
    cross join unnest(candidates.proposed_by) as strategy (strategy_name)
    group by candidates.pool, strategy.strategy_name
)

select
    pool_size.pool,
    strategies.strategy_name,
    pool_size.as_of_date,
    coalesce(by_strategy.candidates, 0) as candidates,
    coalesce(by_strategy.exclusive_candidates, 0) as exclusive_candidates,
    coalesce(by_strategy.customers_reached, 0) as customers_reached,
    coalesce(by_strategy.candidates, 0) / nullif(pool_size.pool_rows, 0) as share_of_pool,
    pool_size.pool_rows / nullif(pool_size.pool_customers, 0) as mean_pool_size_per_customer
from pool_size
cross join {{ ref('candidate_strategies') }} as strategies
left join by_strategy on pool_size.pool = by_strategy.pool and strategies.strategy_name = by_strategy.strategy_name
where
    strategies.strategy_name in (
        {%- for strategy in active_candidate_strategies() %}
            '{{ strategy }}'{% if not loop.last %},{% endif %}
        {%- endfor %}
    )
