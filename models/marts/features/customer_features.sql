-- One row per active customer with every customer-level feature as of run_date.
-- The serving slice (as_of_date = run_date) of the as-of feature models.
select
    customers.customer_id,
    {{ run_date() }} as as_of_date,
    {{ customer_features_as_of(run_date()) }},
    rfm.last_order_date,
    coalesce(entropy.categories_bought, 0) as categories_bought,
    coalesce(rfm.private_label_spend_share, 0) as private_label_spend_share,
    coalesce(rfm.promo_line_share, 0) as promo_line_share,
    {{ price_sensitivity('rfm.private_label_spend_share', 'rfm.promo_line_share') }} as price_sensitivity
from {{ ref('int_customers_active') }} as customers
inner join {{ ref('int_customer_rfm') }} as rfm
    on customers.customer_id = rfm.customer_id and rfm.as_of_date = {{ run_date() }}
inner join {{ ref('int_customer_promo_affinity') }} as promo
    on customers.customer_id = promo.customer_id and promo.as_of_date = {{ run_date() }}
left join {{ ref('int_customer_category_entropy') }} as entropy
    on customers.customer_id = entropy.customer_id and entropy.as_of_date = {{ run_date() }}
