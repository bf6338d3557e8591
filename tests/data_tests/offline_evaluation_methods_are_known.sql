-- Every method in offline_evaluation is a built-in one or an external ranker listed in var
-- evaluation_external_rankers.
{%- set built_in = ['random', 'global_popularity', 'segment_popularity', 'p_topfreq', 'logistic_regression',
    'lightgbm', 'wide_deep', 'oracle'] %}
with known as (
    {% for name in built_in + var('evaluation_external_rankers') %}
        select '{{ name }}' as method_name
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select distinct evaluation.method
from {{ ref('offline_evaluation') }} as evaluation
left join known on evaluation.method = known.method_name
where known.method_name is null
