{{ config(materialized='view') }}
-- (customer, offer) pairs already redeemed before run_date: not eligible again.
select distinct
    customer_id,
    offer_id
from {{ ref('stg_metro__redemptions') }}
where redemption_date < {{ run_date() }}
