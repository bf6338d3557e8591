{% macro offer_valid_in_pool_window(pools, offers) -%}
    {{ pools }}.offers_valid_to >= {{ offers }}.start_date and {{ pools }}.offers_valid_from <= {{ offers }}.end_date
{%- endmacro %}
