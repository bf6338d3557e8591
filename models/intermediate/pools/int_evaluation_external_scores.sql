-- Scores that rankers outside the built-in ones wrote for the evaluation pool, one model
-- evaluation_scores_<name> per name in var evaluation_external_rankers, each with
-- customer_id, offer_id and score for the evaluation pool's rows of pool_examples. Offline
-- evaluation judges them beside the built-in methods on the same customers, pools, cutoff and
-- resamples (docs/architecture.md section 7): a new ranker is a model and a line in the var.
{%- set rankers = var('evaluation_external_rankers') %}
{% if rankers | length == 0 %}
    select
        cast(null as varchar) as method,
        cast(null as bigint) as customer_id,
        cast(null as bigint) as offer_id,
        cast(null as double) as score
    where false
{% else %}
    {% for name in rankers %}
        select
            '{{ name }}' as method,
            customer_id,
            offer_id,
            cast(score as double) as score
        from {{ ref('evaluation_scores_' ~ name) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
{% endif %}
