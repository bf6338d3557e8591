-- The offers each candidate pool may propose (valid on some day of the pool's offer window,
-- see int_pool_dates), with their economics and their history as of the pool's date.
select
    pools.pool,
    pools.as_of_date,
    offers.offer_id,
    offers.offer_level,
    offers.product_id,
    offers.category_id,
    offers.discount_pct,
    offers.start_date,
    offers.end_date,
    {{ days_between('pools.as_of_date', 'offers.end_date') }} as days_until_expiry,
    economics.base_price,
    economics.unit_margin_after_discount,
    economics.margin_impact,
    history.impressions_shown,
    history.redemptions,
    history.historical_redemption_rate
from {{ ref('int_pool_dates') }} as pools
inner join {{ ref('stg_metro__offers') }} as offers
    on {{ offer_valid_in_pool_window('pools', 'offers') }}
inner join {{ ref('int_offer_economics') }} as economics on offers.offer_id = economics.offer_id
inner join {{ ref('int_offer_redemption_history') }} as history
    on offers.offer_id = history.offer_id and pools.as_of_date = history.as_of_date
