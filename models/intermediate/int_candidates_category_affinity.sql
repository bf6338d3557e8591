-- Strategy "category affinity": live offers in the categories the customer spends most on,
-- scored by the category's share of the customer's spend (deeper discounts first within a
-- category). Only the customer's top categories that can still fill the quota are expanded,
-- so the join stays near quota x customers rows even with thousands of live offers.
with live_per_category as (
    select
        category_id,
        count(*) as live_offers
    from {{ ref('int_offers_live') }}
    group by category_id
),

redeemed_live_per_category as (
    select
        redeemed.customer_id,
        offers.category_id,
        count(*) as redeemed_offers
    from {{ ref('int_customer_offers_redeemed') }} as redeemed
    inner join {{ ref('int_offers_live') }} as offers on redeemed.offer_id = offers.offer_id
    group by redeemed.customer_id, offers.category_id
),

customer_categories as (
    select
        spend.customer_id,
        spend.category_id,
        spend.category_spend_share,
        -- offers still available to this customer in categories with a higher share
        coalesce(
            sum(live.live_offers - coalesce(redeemed.redeemed_offers, 0)) over (
                partition by spend.customer_id
                order by spend.category_spend_share desc, spend.category_id asc
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as offers_in_better_categories
    from {{ ref('int_customer_category_spend') }} as spend
    inner join live_per_category as live on spend.category_id = live.category_id
    left join redeemed_live_per_category as redeemed
        on spend.customer_id = redeemed.customer_id and spend.category_id = redeemed.category_id
    where spend.as_of_date = {{ run_date() }} and spend.category_spend_share > 0
),

scored as (
    select
        customer_categories.customer_id,
        offers.offer_id,
        offers.discount_pct,
        customer_categories.category_spend_share as strategy_score
    from customer_categories
    inner join {{ ref('int_offers_live') }} as offers
        on customer_categories.category_id = offers.category_id
    where customer_categories.offers_in_better_categories < {{ var('candidate_quotas')['category_affinity'] }}
)

{{ top_candidates_per_customer('scored', 'category_affinity', 'strategy_score desc, discount_pct desc, offer_id asc') }}
