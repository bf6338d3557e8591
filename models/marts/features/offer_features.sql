-- One row per offer valid on run_date with every offer-level feature.
select
    offer_id,
    as_of_date,
    offer_level,
    product_id,
    category_id,
    discount_pct,
    margin_impact,
    unit_margin_after_discount,
    days_until_expiry,
    impressions_shown,
    redemptions,
    historical_redemption_rate
from {{ ref('int_offers_live') }}
where pool = {{ pool_name('serving') }}
