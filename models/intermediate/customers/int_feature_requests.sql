-- The (customer, as-of date) pairs features are computed for: the customers of each
-- candidate pool as of its date (int_pool_customers: every active customer as of run_date,
-- the evaluated customers as of the evaluation cutoff), and every customer shown or held out
-- from an offer before run_date as of the Monday that starts the impression's week (training
-- examples). One feature code path serves all, so training and serving cannot drift apart.
with pools as (
    select
        customer_id,
        as_of_date
    from {{ ref('int_pool_customers') }}
),

training as (
    {{ impression_feature_requests('customer_id') }}
)

select
    customer_id,
    as_of_date
from pools
union
select
    customer_id,
    as_of_date
from training
