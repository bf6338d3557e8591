-- Strategy "high margin": the offers of each pool that leave the highest unit margin after
-- the discount, proposed to every customer of the pool. Twice the quota is kept per pool
-- before already-redeemed offers are removed per customer.
with top_offers as (
    select
        pool,
        as_of_date,
        offer_id,
        unit_margin_after_discount as strategy_score
    from {{ ref('int_offers_live') }}
    qualify
        row_number() over (partition by pool order by unit_margin_after_discount desc, offer_id asc)
        <= 2 * {{ var('candidate_quotas')['high_margin'] }}
),

scored as (
    select
        top_offers.pool,
        top_offers.as_of_date,
        customers.customer_id,
        top_offers.offer_id,
        top_offers.strategy_score
    from {{ ref('int_pool_customers') }} as customers
    inner join top_offers on customers.pool = top_offers.pool
)

{{ top_candidates_per_customer('scored', 'high_margin') }}
