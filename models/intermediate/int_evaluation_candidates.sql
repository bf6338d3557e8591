-- The evaluation pool, ready to rank: every candidate of pool 'evaluation' (as of the
-- evaluation cutoff) with its ranker features, the scores of the non-model baselines, and
-- whether the customer redeemed the offer in the evaluation window [cutoff, run_date).
-- Baselines: global and segment popularity (share of customers who bought the offer's target
-- in the var segment_popularity_window_days days before the cutoff) and P-TopFreq, the
-- customer's own purchase frequency of the offer's target before the cutoff (orders with the
-- product for a product-level offer, lines in the category inside the look-back window for a
-- category-level one).
with relevant as (
    select distinct
        customer_id,
        offer_id
    from {{ ref('stg_metro__redemptions') }}
    where redemption_date >= {{ evaluation_cutoff() }} and redemption_date < {{ run_date() }}
),

relevant_per_customer as (
    select
        customer_id,
        count(*) as relevant_offers
    from relevant
    group by customer_id
),

global_popularity as (
    select
        offer_id,
        sum(buyers) / sum(customers_in_segment) as global_buyer_share
    from {{ ref('int_offer_popularity') }}
    where pool = 'evaluation'
    group by offer_id
)

select
    features.customer_id,
    features.offer_id,
    features.as_of_date,
    features.segment,
    features.recency_days,
    features.frequency,
    features.monetary,
    features.avg_basket_value,
    features.promo_affinity,
    features.category_entropy,
    features.tenure_days,
    features.category_id,
    features.discount_pct,
    features.margin_impact,
    features.days_until_expiry,
    features.historical_redemption_rate,
    features.bought_before,
    features.category_affinity_score,
    features.price_sensitivity_match,
    features.days_since_last_category_purchase,
    global_popularity.global_buyer_share as global_popularity,
    segment_popularity.segment_buyer_share as segment_popularity,
    case
        when offers.offer_level = 'product' then coalesce(bought.times_bought, 0)
        else coalesce(category_spend.category_lines, 0)
    end as purchase_frequency,
    relevant.offer_id is not null as redeemed_in_window,
    relevant_per_customer.relevant_offers
from {{ ref('candidate_features') }} as features
inner join {{ ref('stg_metro__offers') }} as offers on features.offer_id = offers.offer_id
inner join relevant_per_customer on features.customer_id = relevant_per_customer.customer_id
inner join global_popularity on features.offer_id = global_popularity.offer_id
inner join {{ ref('int_offer_popularity') }} as segment_popularity
    on
        features.pool = segment_popularity.pool
        and features.segment = segment_popularity.segment
        and features.offer_id = segment_popularity.offer_id
left join {{ ref('int_pool_products_bought') }} as bought
    on
        features.pool = bought.pool
        and features.customer_id = bought.customer_id
        and offers.product_id = bought.product_id
left join {{ ref('int_customer_category_spend') }} as category_spend
    on
        features.customer_id = category_spend.customer_id
        and features.as_of_date = category_spend.as_of_date
        and features.category_id = category_spend.category_id
left join relevant on features.customer_id = relevant.customer_id and features.offer_id = relevant.offer_id
where features.pool = 'evaluation'
