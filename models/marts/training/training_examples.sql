-- One row per shown impression (control group excluded) whose label window closed before
-- run_date: label = redeemed within var label_window_days of the impression. Features are
-- as of the Monday that starts the impression's week, through the macro ranker_features that
-- also builds the serving and evaluation pools' features, so they use only data from before
-- the impression.
-- split: 'train' when the label window closed by the evaluation cutoff (run_date minus var
-- evaluation_holdout_days), 'evaluation' when the impression is on or after the cutoff,
-- 'straddles_cutoff' otherwise (in neither: its label would leak past the cutoff).
-- The rankers learn from pool_examples (the ranking task itself); this table is the
-- impression-level view: the Complete Journey benchmark ranks a campaign's coupons from it,
-- and the point-in-time tests read it.
-- Built after candidate_features, never beside it: each of the two holds a dozen feature hash
-- tables at once, and side by side they ran out of the 2 GB memory limit at the default scale.
-- depends_on: {{ ref('candidate_features') }}
with impressions as (
    select
        impression_id,
        customer_id,
        offer_id,
        impression_date,
        policy,
        selection_propensity,
        {{ impression_feature_date('impression_date') }} as feature_as_of_date,
        {{ dbt.dateadd('day', var('label_window_days'), 'impression_date') }} as label_window_end
    from {{ ref('stg_metro__impressions') }}
    where
        not is_control
        and {{ dbt.dateadd('day', var('label_window_days'), 'impression_date') }} <= {{ run_date() }}
),

labelled as (
    select
        impressions.*,
        exists(
            select 1
            from {{ ref('stg_metro__redemptions') }} as redemptions
            where
                redemptions.impression_id = impressions.impression_id
                and redemptions.redemption_date < impressions.label_window_end
        ) as label
    from impressions
),

featured as (
    {{ ranker_features('labelled', 'feature_as_of_date') }}
)

select
    featured.impression_id,
    featured.customer_id,
    featured.offer_id,
    featured.impression_date,
    featured.feature_as_of_date,
    cast(featured.label_window_end as date) as label_window_end,
    featured.label,
    {{ impression_split('featured.label_window_end', 'featured.impression_date', evaluation_cutoff()) }} as split,
    featured.policy,
    featured.selection_propensity,
    {{ ranker_feature_columns('featured') }},
    featured.last_order_date
from featured
