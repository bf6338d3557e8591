{% macro money(amount) -%}
    {#- Money as DECIMAL(18, 4): sums of decimals are exact, so a total does not depend on the
        order DuckDB's threads add the rows in (double sums differ in the last bits from build
        to build, and that flips ties and tree splits downstream). Four decimals keep sub-cent
        unit prices. -#}
    cast({{ amount }} as decimal(18, 4))
{%- endmacro %}
