-- Promo affinity per customer and as-of date: the redemption rate on offers shown before the
-- as-of date, smoothed towards the global rate before the as-of date with var
-- promo_affinity_prior_strength pseudo-impressions, so a customer shown nothing gets the
-- global rate rather than 0/0.
-- Incremental: each run computes only new pairs and those the landed data since its last run
-- touches (macros/as_of_increments.sql).
{% set touched, settings = ['offer_activity'], ['promo_affinity_prior_strength'] %}
{{ config(**as_of_model_config(touched, settings)) }}

with requests_to_compute as (
    {{ as_of_requests() }}
),

shown as (
    select
        requests.customer_id,
        requests.as_of_date,
        count(impressions.impression_id) as impressions_shown
    from requests_to_compute as requests
    left join {{ ref('stg_metro__impressions') }} as impressions
        on
            requests.customer_id = impressions.customer_id
            and requests.as_of_date > impressions.impression_date
            and not impressions.is_control
    group by requests.customer_id, requests.as_of_date
),

redeemed as (
    select
        requests.customer_id,
        requests.as_of_date,
        count(redemptions.redemption_id) as redemptions
    from requests_to_compute as requests
    left join {{ ref('stg_metro__redemptions') }} as redemptions
        on
            requests.customer_id = redemptions.customer_id
            and requests.as_of_date > redemptions.redemption_date
    group by requests.customer_id, requests.as_of_date
),

-- the prior is point-in-time too: the global rate before each as-of date
global_rate as (
    {{ redemption_rate_before(
        "(select distinct as_of_date from requests_to_compute)",
        ref('int_offer_daily_activity')
    ) }}
)

select
    shown.customer_id,
    shown.as_of_date,
    shown.impressions_shown,
    redeemed.redemptions,
    {{ smoothed_rate(
        'redeemed.redemptions', 'shown.impressions_shown', 'global_rate.redemption_rate',
        var('promo_affinity_prior_strength')
    ) }} as promo_affinity
from shown
inner join redeemed on shown.customer_id = redeemed.customer_id and shown.as_of_date = redeemed.as_of_date
inner join global_rate on shown.as_of_date = global_rate.as_of_date
