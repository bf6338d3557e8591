-- Promo affinity: the customer's redemption rate on offers shown before run_date, smoothed
-- towards the global rate with var promo_affinity_prior_strength pseudo-impressions, so a
-- customer shown nothing gets the global rate rather than 0/0.
with shown as (
    select
        customer_id,
        count(*) as impressions_shown
    from {{ ref('stg_metro__impressions') }}
    where not is_control and impression_date < {{ run_date() }}
    group by customer_id
),

redeemed as (
    select
        customer_id,
        count(*) as redemptions
    from {{ ref('stg_metro__redemptions') }}
    where redemption_date < {{ run_date() }}
    group by customer_id
),

global_rate as (
    select coalesce(
        (select sum(redemptions) from redeemed) / nullif((select sum(impressions_shown) from shown), 0),
        0
    ) as redemption_rate
)

select
    customers.customer_id,
    coalesce(shown.impressions_shown, 0) as impressions_shown,
    coalesce(redeemed.redemptions, 0) as redemptions,
    (coalesce(redeemed.redemptions, 0) + {{ var('promo_affinity_prior_strength') }} * global_rate.redemption_rate)
    / (coalesce(shown.impressions_shown, 0) + {{ var('promo_affinity_prior_strength') }}) as promo_affinity
from {{ ref('int_customers_active') }} as customers
cross join global_rate
left join shown on customers.customer_id = shown.customer_id
left join redeemed on customers.customer_id = redeemed.customer_id
