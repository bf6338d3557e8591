-- Impressions shown and redemptions of each offer before each as-of date, and its historical
-- redemption rate smoothed towards its category's rate before that date with var
-- redemption_rate_prior_strength pseudo-impressions (a new offer starts at its category's
-- rate, which itself is smoothed towards the global rate).
with daily as (
    select
        offer_id,
        activity_date,
        shown,
        redeemed
    from {{ ref('int_offer_daily_activity') }}
),

daily_by_category as (
    select
        offers.category_id,
        daily.activity_date,
        sum(daily.shown) as shown,
        sum(daily.redeemed) as redeemed
    from daily
    inner join {{ ref('stg_metro__offers') }} as offers on daily.offer_id = offers.offer_id
    group by offers.category_id, daily.activity_date
),

requests as (
    select
        requests.offer_id,
        requests.as_of_date,
        offers.category_id
    from {{ ref('int_offer_feature_requests') }} as requests
    inner join {{ ref('stg_metro__offers') }} as offers on requests.offer_id = offers.offer_id
),

per_offer as (
    select
        requests.offer_id,
        requests.as_of_date,
        requests.category_id,
        cast(coalesce(sum(daily.shown), 0) as bigint) as impressions_shown,
        cast(coalesce(sum(daily.redeemed), 0) as bigint) as redemptions
    from requests
    left join daily on requests.offer_id = daily.offer_id and requests.as_of_date > daily.activity_date
    group by requests.offer_id, requests.as_of_date, requests.category_id
),

category_totals as (
    select
        category_dates.category_id,
        category_dates.as_of_date,
        coalesce(sum(daily_by_category.shown), 0) as shown,
        coalesce(sum(daily_by_category.redeemed), 0) as redeemed
    from (
        select distinct
            category_id,
            as_of_date
        from requests
    ) as category_dates
    left join daily_by_category
        on
            category_dates.category_id = daily_by_category.category_id
            and category_dates.as_of_date > daily_by_category.activity_date
    group by category_dates.category_id, category_dates.as_of_date
),

global_rate as (
    {{ redemption_rate_before('(select distinct as_of_date from requests)', 'daily') }}
),

category_rate as (
    select
        category_totals.category_id,
        category_totals.as_of_date,
        {{ smoothed_rate(
            'category_totals.redeemed', 'category_totals.shown', 'global_rate.redemption_rate',
            var('redemption_rate_prior_strength')
        ) }} as redemption_rate
    from category_totals
    inner join global_rate on category_totals.as_of_date = global_rate.as_of_date
)

select
    per_offer.offer_id,
    per_offer.as_of_date,
    per_offer.impressions_shown,
    per_offer.redemptions,
    {{ smoothed_rate(
        'per_offer.redemptions', 'per_offer.impressions_shown', 'category_rate.redemption_rate',
        var('redemption_rate_prior_strength')
    ) }} as historical_redemption_rate
from per_offer
inner join category_rate
    on per_offer.category_id = category_rate.category_id and per_offer.as_of_date = category_rate.as_of_date
