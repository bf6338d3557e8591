{% test row_count_between(model, min_value=none, max_value=none) %}
{#- Fails (one row) when the model's row count is outside [min_value, max_value]; without
    either bound it could never fail, so it refuses to compile. -#}
{%- if min_value is none and max_value is none -%}
    {{ exceptions.raise_compiler_error("row_count_between needs min_value or max_value") }}
{%- endif %}
with counted as (
    select count(*) as row_count from {{ model }}
)

select row_count
from counted
where
    {% if min_value is not none %}row_count < {{ min_value }}{% else %}false{% endif %}
    or {% if max_value is not none %}row_count > {{ max_value }}{% else %}false{% endif %}
{% endtest %}
