-- The (customer, as-of date) pairs features are computed for: every active customer as of
-- run_date (serving), and every customer shown or held out from an offer before run_date as
-- of the Monday that starts the impression's week (training examples). One feature code
-- path serves both, so training and serving features cannot drift apart.
with serving as (
    select
        customer_id,
        {{ run_date() }} as as_of_date
    from {{ ref('int_customers_active') }}
),

training as (
    select distinct
        customer_id,
        {{ impression_feature_date('impression_date') }} as as_of_date
    from {{ ref('stg_metro__impressions') }}
    where impression_date < {{ run_date() }}
)

select
    customer_id,
    as_of_date
from serving
union
select
    customer_id,
    as_of_date
from training
