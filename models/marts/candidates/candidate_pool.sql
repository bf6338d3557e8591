-- The candidate pools (int_pool_dates: 'serving' as of run_date, 'evaluation' as of the
-- evaluation cutoff): the union of every strategy in var candidate_quotas (one model
-- int_candidates_<strategy> each), merged to one row per (pool, customer, offer) that keeps
-- which strategies proposed it. Only the pool's offers not yet redeemed by the customer
-- reach the strategies. rank_by_<strategy> is the pair's rank in that strategy's list, or
-- its quota + 1 when the strategy did not propose it (ranked below everything it proposed).
{%- set strategies = var('candidate_quotas').keys() | list | sort %}

with proposals as (
    {% for strategy in strategies %}
        select
            pool,
            as_of_date,
            customer_id,
            offer_id,
            '{{ strategy }}' as strategy,
            strategy_rank
        from {{ ref('int_candidates_' ~ strategy) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    pool,
    customer_id,
    offer_id,
    as_of_date,
    list(strategy order by strategy) as proposed_by,
    count(*) as strategy_count,
    min(strategy_rank) as best_strategy_rank,
    {%- for strategy in strategies %}
        coalesce(
            min(case when strategy = '{{ strategy }}' then strategy_rank end),
            {{ var('candidate_quotas')[strategy] + 1 }}
        ) as rank_by_{{ strategy }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from proposals
group by pool, as_of_date, customer_id, offer_id
