{% macro days_between(start_date, end_date) -%}
    {#- Whole days from start_date to end_date (end - start). Dispatched so that other
        adapters fall back to dbt's cross-database datediff. -#}
    {{ return(adapter.dispatch('days_between', 'metro_offers')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}

{% macro duckdb__days_between(start_date, end_date) -%}
    ({{ end_date }} - {{ start_date }})
{%- endmacro %}
