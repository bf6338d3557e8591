{% macro run_date() -%}
    {#- The as-of date of the build (var run_date), as a SQL date literal. -#}
    cast('{{ var("run_date") }}' as date)
{%- endmacro %}

{% macro lookback_start() -%}
    {#- First day of the feature look-back window that ends the day before run_date. -#}
    {{ dbt.dateadd('day', -1 * var('feature_lookback_days'), run_date()) }}
{%- endmacro %}
