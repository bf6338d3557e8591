-- Offers valid on run_date (start_date <= run_date <= end_date): the only offers that can
-- be recommended, with their economics and history.
select
    offers.offer_id,
    offers.offer_level,
    offers.product_id,
    offers.category_id,
    offers.discount_pct,
    offers.start_date,
    offers.end_date,
    {{ days_between(run_date(), 'offers.end_date') }} as days_until_expiry,
    economics.base_price,
    economics.unit_margin_after_discount,
    economics.margin_impact,
    history.impressions_shown,
    history.redemptions,
    history.historical_redemption_rate
from {{ ref('stg_metro__offers') }} as offers
inner join {{ ref('int_offer_economics') }} as economics on offers.offer_id = economics.offer_id
inner join {{ ref('int_offer_redemption_history') }} as history
    on offers.offer_id = history.offer_id and history.as_of_date = {{ run_date() }}
where {{ run_date() }} between offers.start_date and offers.end_date
