{% macro asof_join_before(requests, totals, alias, keys, request_date, kind='left', totals_date='order_date') -%}
    {#- The ASOF join that looks up, for each `requests` row, the row of `totals` (running
        totals per `keys` and day) on the last day strictly before the request's date: the
        point-in-time rule (a feature as of a date sees only data before it) written once. -#}
    asof {{ kind }} join {{ totals }} as {{ alias }}
        on
            {% for key in keys -%}
            {{ requests }}.{{ key }} = {{ alias }}.{{ key }}
            and {% endfor -%}
            {{ requests }}.{{ request_date }} > {{ alias }}.{{ totals_date }}
{%- endmacro %}
