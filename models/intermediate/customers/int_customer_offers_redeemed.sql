{{ config(materialized='view') }}
-- (customer, offer) pairs redeemed before run_date, with the first redemption day: an offer
-- is not proposed again to a customer who redeemed it before the pool's as-of date.
select
    customer_id,
    offer_id,
    min(redemption_date) as first_redemption_date
from {{ ref('stg_metro__redemptions') }}
where redemption_date < {{ run_date() }}
group by customer_id, offer_id
