{% macro price_sensitivity(private_label_spend_share, promo_line_share) -%}
    {#- Observed price sensitivity in [0, 1]: the mean of the private-label spend share and the
        share of lines bought with an offer (0 for a customer without orders). -#}
    (coalesce({{ private_label_spend_share }}, 0) + coalesce({{ promo_line_share }}, 0)) / 2
{%- endmacro %}
