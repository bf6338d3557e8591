-- The feature frame any ranker reads: one row per candidate (customer, offer) with the
-- customer, offer and interaction features as of run_date.
-- Interactions: bought_before (the product, or any product of the category for a
-- category-level offer), category_affinity_score (share of the customer's spend in the
-- offer's category), price_sensitivity_match (price sensitivity x discount depth), and days
-- since the last purchase in the offer's category (null if never in the look-back window).
select
    pool.customer_id,
    pool.offer_id,
    pool.as_of_date,
    pool.proposed_by,
    customers.segment,
    customers.recency_days,
    customers.frequency,
    customers.monetary,
    customers.avg_basket_value,
    customers.promo_affinity,
    customers.category_entropy,
    customers.tenure_days,
    offers.category_id,
    offers.discount_pct,
    offers.margin_impact,
    offers.days_until_expiry,
    offers.historical_redemption_rate,
    case
        when offers.offer_level = 'product' then bought.customer_id is not null
        else category_spend.customer_id is not null
    end as bought_before,
    coalesce(category_spend.category_spend_share, 0) as category_affinity_score,
    customers.price_sensitivity * offers.discount_pct as price_sensitivity_match,
    {{ days_between('category_spend.last_category_purchase_date', 'pool.as_of_date') }}
        as days_since_last_category_purchase
from {{ ref('candidate_pool') }} as pool
inner join {{ ref('customer_features') }} as customers on pool.customer_id = customers.customer_id
inner join {{ ref('offer_features') }} as offers on pool.offer_id = offers.offer_id
left join {{ ref('int_customer_products_bought') }} as bought
    on pool.customer_id = bought.customer_id and offers.product_id = bought.product_id
left join {{ ref('int_customer_category_spend') }} as category_spend
    on
        pool.customer_id = category_spend.customer_id
        and offers.category_id = category_spend.category_id
        and pool.as_of_date = category_spend.as_of_date
