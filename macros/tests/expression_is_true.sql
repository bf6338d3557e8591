{% test expression_is_true(model, expression, column_name=none) %}
{#- Fails for every row where the boolean SQL expression is not true (null counts as false).
    Use the test's `where` config to restrict the rows checked. -#}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% endtest %}
