{% macro top_candidates_per_customer(scored_relation, strategy_name, order_by='strategy_score desc, offer_id asc') -%}
    {#- The shared tail of every candidate strategy: drop offers the customer redeemed before
        the pool's as-of date, rank each customer's offers within each pool (1 = best) and
        keep the strategy's quota (var candidate_quotas[strategy_name]). scored_relation has
        pool, as_of_date, customer_id, offer_id and strategy_score. -#}
    {%- set quotas = var('candidate_quotas') -%}
    {%- if strategy_name not in quotas -%}
        {{ exceptions.raise_compiler_error("no quota for candidate strategy '" ~ strategy_name ~ "': add it to var candidate_quotas") }}
    {%- endif -%}
    select
        eligible.pool,
        eligible.as_of_date,
        eligible.customer_id,
        eligible.offer_id,
        eligible.strategy_score,
        row_number() over (partition by eligible.pool, eligible.customer_id order by {{ order_by }}) as strategy_rank
    from (
        select scored.*
        from {{ scored_relation }} as scored
        left join {{ ref('int_customer_offers_redeemed') }} as redeemed
            on
                scored.customer_id = redeemed.customer_id
                and scored.offer_id = redeemed.offer_id
                and redeemed.first_redemption_date < scored.as_of_date
        where redeemed.offer_id is null
    ) as eligible
    qualify strategy_rank <= {{ quotas[strategy_name] }}
{%- endmacro %}
