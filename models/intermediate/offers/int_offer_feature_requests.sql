-- The (offer, as-of date) pairs offer features are computed for: the offers of each candidate
-- pool as of its date (int_pool_dates: serving and evaluation) and every offer shown before
-- run_date as of the Monday that starts the impression's week (training examples).
with pools as (
    select
        offers.offer_id,
        pools.as_of_date
    from {{ ref('int_pool_dates') }} as pools
    inner join {{ ref('stg_metro__offers') }} as offers
        on {{ offer_valid_in_pool_window('pools', 'offers') }}
),

training as (
    {{ impression_feature_requests('offer_id') }}
)

select
    offer_id,
    as_of_date
from pools
union
select
    offer_id,
    as_of_date
from training
