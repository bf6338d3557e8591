-- Every accepted offer with its category and department, whether it is valid on run_date,
-- and its shown impressions, redemptions and smoothed redemption rate as of run_date (null
-- when not valid then): the offers the API and the dashboard describe.
select
    offers.offer_id,
    offers.offer_name,
    offers.offer_level,
    offers.product_id,
    offers.category_id,
    categories.category_name,
    categories.department,
    offers.discount_pct,
    offers.start_date,
    offers.end_date,
    live.offer_id is not null as valid_on_run_date,
    live.impressions_shown,
    live.redemptions,
    live.historical_redemption_rate
from {{ ref('stg_metro__offers') }} as offers
left join {{ ref('categories') }} as categories on offers.category_id = categories.category_id
left join {{ ref('offer_features') }} as live on offers.offer_id = live.offer_id
