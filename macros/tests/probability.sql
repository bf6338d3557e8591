{% test probability(model, column_name) %}
{#- Fails for every non-null value outside [0, 1]. -#}
select {{ column_name }} as failing_value
from {{ model }}
where {{ column_name }} < 0 or {{ column_name }} > 1
{% endtest %}
