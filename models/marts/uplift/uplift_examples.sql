-- One row per impression, shown or randomised control, of the var uplift_training_days
-- before the uplift cutoff (macro uplift_cutoff: the evaluation cutoff on a grid) or later,
-- whose outcome window closed before run_date: the outcome is whether the customer bought
-- any of the offer's products (redeemed or not) from the impression day for var
-- label_window_days, inside the offer's validity - observable in both arms, unlike a
-- redemption. Features as of the Monday that starts the impression's week,
-- from the one feature code path (ranker_features), as for training_examples.
-- split: 'train' when the outcome window closed by the uplift cutoff, 'evaluation' when
-- the impression is on or after it, 'straddles_cutoff' otherwise.
-- Built after training_examples, never beside it (each holds the feature hash tables).
-- depends_on: {{ ref('training_examples') }}
with impressions as (
    select
        impressions.impression_id,
        impressions.customer_id,
        impressions.offer_id,
        impressions.impression_date,
        not impressions.is_control as shown,
        impressions.policy,
        impressions.selection_propensity,
        product_sets.product_set_id,
        {{ impression_feature_date('impression_date') }} as feature_as_of_date,
        least(
            {{ dbt.dateadd('day', var('label_window_days'), 'impressions.impression_date') }},
            {{ dbt.dateadd('day', 1, 'offers.end_date') }}
        ) as outcome_window_end
    from {{ ref('stg_metro__impressions') }} as impressions
    inner join {{ ref('stg_metro__offers') }} as offers on impressions.offer_id = offers.offer_id
    inner join {{ ref('int_offer_product_sets') }} as product_sets on impressions.offer_id = product_sets.offer_id
    where
        impressions.impression_date
        >= {{ dbt.dateadd('day', -1 * var('uplift_training_days'), uplift_cutoff()) }}
),

closed as (
    select *
    from impressions
    where outcome_window_end <= {{ run_date() }}
),

outcomes as (
    select
        closed.*,
        exists(
            select 1
            from {{ ref('int_product_set_daily_purchases') }} as purchases
            where
                purchases.customer_id = closed.customer_id
                and purchases.product_set_id = closed.product_set_id
                and purchases.order_date >= closed.impression_date
                and purchases.order_date < closed.outcome_window_end
        ) as bought_offer_products
    from closed
),

featured as (
    {{ ranker_features('outcomes', 'feature_as_of_date') }}
)

select
    featured.impression_id,
    featured.customer_id,
    featured.offer_id,
    featured.impression_date,
    featured.feature_as_of_date,
    cast(featured.outcome_window_end as date) as outcome_window_end,
    featured.shown,
    featured.bought_offer_products,
    {{ impression_split('featured.outcome_window_end', 'featured.impression_date', uplift_cutoff()) }} as split,
    featured.policy,
    featured.selection_propensity,
    {{ ranker_feature_columns('featured') }}
from featured
