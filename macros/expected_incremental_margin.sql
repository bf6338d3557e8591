{% macro expected_incremental_margin(uplift, p_redeem, unit_margin, discount_cost) -%}
    {#- What showing an offer is expected to earn per unit: incremental buyers bring the
        regular unit margin, every redeemer (also those who would buy anyway) costs the
        discount. The Python twin (metro_offers.uplift.decision) scores the offline policies;
        a dbt unit test and a pytest check both on the same hand-computed case. -#}
    ({{ uplift }}) * ({{ unit_margin }}) - ({{ discount_cost }}) * ({{ p_redeem }})
{%- endmacro %}
