-- The candidate pool as of run_date: the union of every strategy in var candidate_quotas
-- (one model int_candidates_<strategy> each), merged to one row per (customer, offer) that
-- keeps which strategies proposed it. Only offers valid on run_date and not yet redeemed by
-- the customer reach the strategies.
{%- set strategies = var('candidate_quotas').keys() | list | sort %}

with proposals as (
    {% for strategy in strategies %}
        select
            customer_id,
            offer_id,
            '{{ strategy }}' as strategy,
            strategy_score,
            strategy_rank
        from {{ ref('int_candidates_' ~ strategy) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    customer_id,
    offer_id,
    {{ run_date() }} as as_of_date,
    list(strategy order by strategy) as proposed_by,
    count(*) as strategy_count,
    min(strategy_rank) as best_strategy_rank
from proposals
group by customer_id, offer_id
