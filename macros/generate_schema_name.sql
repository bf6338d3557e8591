{% macro generate_schema_name(custom_schema_name, node) -%}
    {#- Layers land in schemas named after them (staging, intermediate, marts, reference),
        not dbt's default <target>_<layer>, so analysts query marts.recommendations. -#}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
