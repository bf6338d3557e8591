{% macro run_date() -%}
    {#- The as-of date of the build (var run_date), as a SQL date literal. -#}
    cast('{{ var("run_date") }}' as date)
{%- endmacro %}

{% macro lookback_start() -%}
    {#- First day of the feature look-back window that ends the day before run_date. -#}
    {{ dbt.dateadd('day', -1 * var('feature_lookback_days'), run_date()) }}
{%- endmacro %}

{% macro evaluation_cutoff() -%}
    {#- The evaluation cutoff: run_date minus var evaluation_holdout_days. The evaluation
        ranker learns only from labels closed before it; offline evaluation measures what
        happened from it up to the day before run_date. -#}
    {%- if var('evaluation_holdout_days') | int < 1 -%}
        {{ exceptions.raise_compiler_error("var evaluation_holdout_days must be at least 1") }}
    {%- endif -%}
    cast({{ dbt.dateadd('day', -1 * var('evaluation_holdout_days'), run_date()) }} as date)
{%- endmacro %}
