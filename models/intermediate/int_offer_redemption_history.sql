-- Historical redemption rate of each offer from impressions shown before run_date,
-- smoothed towards its category's rate with var redemption_rate_prior_strength
-- pseudo-impressions (a new offer starts at its category's rate, a new category at the
-- global rate).
with shown as (
    select
        offer_id,
        count(*) as impressions_shown
    from {{ ref('stg_metro__impressions') }}
    where not is_control and impression_date < {{ run_date() }}
    group by offer_id
),

redeemed as (
    select
        offer_id,
        count(*) as redemptions
    from {{ ref('stg_metro__redemptions') }}
    where redemption_date < {{ run_date() }}
    group by offer_id
),

per_offer as (
    select
        offers.offer_id,
        offers.category_id,
        coalesce(shown.impressions_shown, 0) as impressions_shown,
        coalesce(redeemed.redemptions, 0) as redemptions
    from {{ ref('stg_metro__offers') }} as offers
    left join shown on offers.offer_id = shown.offer_id
    left join redeemed on offers.offer_id = redeemed.offer_id
),

global_rate as (
    select coalesce(sum(redemptions) / nullif(sum(impressions_shown), 0), 0) as redemption_rate
    from per_offer
),

category_rate as (
    select
        per_offer.category_id,
        (
            sum(per_offer.redemptions)
            + {{ var('redemption_rate_prior_strength') }} * any_value(global_rate.redemption_rate)
        )
        / (sum(per_offer.impressions_shown) + {{ var('redemption_rate_prior_strength') }}) as redemption_rate
    from per_offer
    cross join global_rate
    group by per_offer.category_id
)

select
    per_offer.offer_id,
    per_offer.impressions_shown,
    per_offer.redemptions,
    (per_offer.redemptions + {{ var('redemption_rate_prior_strength') }} * category_rate.redemption_rate)
    / (per_offer.impressions_shown + {{ var('redemption_rate_prior_strength') }}) as historical_redemption_rate
from per_offer
inner join category_rate on per_offer.category_id = category_rate.category_id
