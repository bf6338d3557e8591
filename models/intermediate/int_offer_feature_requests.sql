-- The (offer, as-of date) pairs offer features are computed for: offers valid on run_date
-- (serving) and every offer shown before run_date as of the Monday that starts the
-- impression's week (training examples).
with serving as (
    select
        offer_id,
        {{ run_date() }} as as_of_date
    from {{ ref('stg_metro__offers') }}
    where {{ run_date() }} between start_date and end_date
),

training as (
    select distinct
        offer_id,
        {{ impression_feature_date('impression_date') }} as as_of_date
    from {{ ref('stg_metro__impressions') }}
    where impression_date < {{ run_date() }}
)

select
    offer_id,
    as_of_date
from serving
union
select
    offer_id,
    as_of_date
from training
