{% macro impression_feature_date(impression_date) -%}
    {#- The as-of date of a training example's features: the Monday that starts the
        impression's week, so every feature uses only data from before the impression. -#}
    cast(date_trunc('week', {{ impression_date }}) as date)
{%- endmacro %}
