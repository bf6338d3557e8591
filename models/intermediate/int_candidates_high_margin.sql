-- Strategy "high margin": the live offers that leave the highest unit margin after the
-- discount, proposed to every active customer. Twice the quota is kept globally before
-- already-redeemed offers are removed per customer.
with top_offers as (
    select
        offer_id,
        unit_margin_after_discount as strategy_score
    from {{ ref('int_offers_live') }}
    qualify
        row_number() over (order by unit_margin_after_discount desc, offer_id asc)
        <= 2 * {{ var('candidate_quotas')['high_margin'] }}
),

scored as (
    select
        customers.customer_id,
        top_offers.offer_id,
        top_offers.strategy_score
    from {{ ref('int_customers_active') }} as customers
    cross join top_offers
)

{{ top_candidates_per_customer('scored', 'high_margin') }}
