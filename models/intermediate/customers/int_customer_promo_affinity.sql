-- Promo affinity per customer and as-of date: the redemption rate on offers shown before the
-- as-of date, smoothed towards the global rate before the as-of date with var
-- promo_affinity_prior_strength pseudo-impressions, so a customer shown nothing gets the
-- global rate rather than 0/0. Counts before the as-of date come from running counts per
-- customer and day (macro customer_events_before), not a range join over the history.
-- Incremental: each run computes only new pairs and those the landed data since its last run
-- touches (macros/as_of_increments.sql).
{% set touched, settings = ['offer_activity'], ['promo_affinity_prior_strength'] %}
{{ config(**as_of_model_config(touched, settings)) }}

with requests_to_compute as (
    {{ as_of_requests() }}
),

shown as (
    {{ customer_events_before(
        'requests_to_compute', ref('stg_metro__impressions'), 'impression_date', 'not is_control'
    ) }}
),

redeemed as (
    {{ customer_events_before('requests_to_compute', ref('stg_metro__redemptions'), 'redemption_date') }}
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
    shown.events_before as impressions_shown,
    redeemed.events_before as redemptions,
    {{ smoothed_rate(
        'redeemed.events_before', 'shown.events_before', 'global_rate.redemption_rate',
        var('promo_affinity_prior_strength')
    ) }} as promo_affinity
from shown
inner join redeemed on shown.customer_id = redeemed.customer_id and shown.as_of_date = redeemed.as_of_date
inner join global_rate on shown.as_of_date = global_rate.as_of_date
