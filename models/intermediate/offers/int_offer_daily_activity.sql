{{ config(materialized='view') }}
-- Impressions shown (control group excluded) and redemptions per offer and day: the activity
-- the smoothed redemption rates (per offer, per category, global) are summed from.
select
    offer_id,
    impression_date as activity_date,
    count(*) as shown,
    0 as redeemed
from {{ ref('stg_metro__impressions') }}
where not is_control
group by offer_id, impression_date
union all
select
    offer_id,
    redemption_date as activity_date,
    0 as shown,
    count(*) as redeemed
from {{ ref('stg_metro__redemptions') }}
group by offer_id, redemption_date
