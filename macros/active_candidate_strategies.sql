{% macro active_candidate_strategies() -%}
    {#- The strategies that can propose candidates in this build: a quota above zero in var
        candidate_quotas, and item2vec only when var item2vec_enabled. -#}
    {%- set active = [] -%}
    {%- for strategy, quota in var('candidate_quotas').items() | sort -%}
        {%- if quota > 0 and (strategy != 'item2vec' or var('item2vec_enabled')) -%}
            {%- do active.append(strategy) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(active) }}
{%- endmacro %}
