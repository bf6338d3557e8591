{% test value_between(model, column_name, min_value=none, max_value=none) %}
{#- Fails for every non-null value below min_value or above max_value (both inclusive). -#}
{%- if min_value is none and max_value is none -%}
    {{ exceptions.raise_compiler_error("value_between needs min_value or max_value") }}
{%- endif %}
select {{ column_name }} as failing_value
from {{ model }}
where
    {% if min_value is not none %}{{ column_name }} < {{ min_value }}{% endif %}
    {% if min_value is not none and max_value is not none %}or{% endif %}
    {% if max_value is not none %}{{ column_name }} > {{ max_value }}{% endif %}
{% endtest %}
