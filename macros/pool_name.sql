{% macro pool_name(key, suffix='') -%}
    '{{ var('pool_names')[key] }}{{ suffix }}'
{%- endmacro %}
