-- Every documented strategy has a quota in var candidate_quotas and every quota a documented
-- strategy (the pool unions exactly the strategies in the var).
{%- set quota_strategies = var('candidate_quotas').keys() | list %}
with quotas as (
    {% for strategy in quota_strategies %}
        select '{{ strategy }}' as strategy_name
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    coalesce(quotas.strategy_name, seeded.strategy_name) as strategy_name,
    case when quotas.strategy_name is null then 'no quota' else 'not in seed' end as problem
from quotas
full outer join {{ ref('candidate_strategies') }} as seeded on quotas.strategy_name = seeded.strategy_name
where quotas.strategy_name is null or seeded.strategy_name is null
