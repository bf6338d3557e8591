{% macro noise_free(share) -%}
    {#- A share in [0, 1] as an ordering key: rounded to 12 decimals, so two shares equal in
        exact arithmetic but apart in the last bits of DuckDB's parallel float sums tie, and
        the next key breaks the tie the same way in every build. -#}
    round({{ share }}, 12)
{%- endmacro %}
