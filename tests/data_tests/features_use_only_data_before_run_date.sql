-- Point in time: no feature may see run_date or later. Each check returns offending rows.
with redemptions_before_run_date as (
    select
        offer_id,
        count(*) as redemptions
    from {{ ref('stg_metro__redemptions') }}
    where redemption_date < {{ run_date() }}
    group by offer_id
)

select
    'customer_features.last_order_date' as feature,
    customer_id as entity_id
from {{ ref('customer_features') }}
where last_order_date >= {{ run_date() }}

union all

select
    'customer_features.recency_days' as feature,
    customer_id as entity_id
from {{ ref('customer_features') }}
where recency_days < 1

union all

select
    'candidate_features.days_since_last_category_purchase' as feature,
    customer_id as entity_id
from {{ ref('candidate_features') }}
where days_since_last_category_purchase < 1

union all

-- the offer's redemption history counts exactly the redemptions dated before run_date
select
    'offer_features.redemptions' as feature,
    features.offer_id as entity_id
from {{ ref('offer_features') }} as features
left join redemptions_before_run_date as before_run_date on features.offer_id = before_run_date.offer_id
where features.redemptions != coalesce(before_run_date.redemptions, 0)
