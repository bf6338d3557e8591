-- Every method in offline_evaluation is a built-in one (seed evaluation_methods) or an
-- external ranker listed in var evaluation_external_rankers.
with known as (
    select method as method_name from {{ ref('evaluation_methods') }}
    {% for name in var('evaluation_external_rankers') %}
        union all
        select '{{ name }}' as method_name
    {% endfor %}
)

select distinct evaluation.method
from {{ ref('offline_evaluation') }} as evaluation
left join known on evaluation.method = known.method_name
where known.method_name is null
