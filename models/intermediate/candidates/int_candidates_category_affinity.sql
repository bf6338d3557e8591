-- Strategy "category affinity": offers of each pool in the categories the customer spends most
-- on (as of the pool's date), scored by the category's share of the customer's spend (deeper
-- discounts first within a category). Only the customer's top categories that can still fill
-- the quota are expanded, so the join stays near quota x customers rows even with thousands
-- of offers.
with live_per_category as (
    select
        pool,
        category_id,
        count(*) as live_offers
    from {{ ref('int_offers_live') }}
    group by pool, category_id
),

redeemed_live_per_category as (
    select
        offers.pool,
        redeemed.customer_id,
        offers.category_id,
        count(*) as redeemed_offers
    from {{ ref('int_customer_offers_redeemed') }} as redeemed
    inner join {{ ref('int_offers_live') }} as offers
        on redeemed.offer_id = offers.offer_id and redeemed.first_redemption_date < offers.as_of_date
    group by offers.pool, redeemed.customer_id, offers.category_id
),

customer_categories as (
    select
        customers.pool,
        customers.as_of_date,
        spend.customer_id,
        spend.category_id,
        spend.category_spend_share,
        -- offers still available to this customer in categories with a higher share
        coalesce(
            sum(live.live_offers - coalesce(redeemed.redeemed_offers, 0)) over (
                partition by customers.pool, spend.customer_id
                order by spend.category_spend_share desc, spend.category_id asc
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as offers_in_better_categories
    from {{ ref('int_pool_customers') }} as customers
    inner join {{ ref('int_customer_category_spend') }} as spend
        on customers.customer_id = spend.customer_id and customers.as_of_date = spend.as_of_date
    inner join live_per_category as live on customers.pool = live.pool and spend.category_id = live.category_id
    left join redeemed_live_per_category as redeemed
        on
            customers.pool = redeemed.pool
            and spend.customer_id = redeemed.customer_id
            and spend.category_id = redeemed.category_id
    where spend.category_spend_share > 0
),

scored as (
    select
        customer_categories.pool,
        customer_categories.as_of_date,
        customer_categories.customer_id,
        offers.offer_id,
        offers.discount_pct,
        customer_categories.category_spend_share as strategy_score
    from customer_categories
    inner join {{ ref('int_offers_live') }} as offers
        on customer_categories.pool = offers.pool and customer_categories.category_id = offers.category_id
    where customer_categories.offers_in_better_categories < {{ var('candidate_quotas')['category_affinity'] }}
)

{{ top_candidates_per_customer('scored', 'category_affinity', 'strategy_score desc, discount_pct desc, offer_id asc') }}
