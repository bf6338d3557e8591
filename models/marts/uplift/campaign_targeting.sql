-- Every serving candidate as of run_date with what targeting it is expected to earn: the live
-- ranker's P(redeem), the serving learner's (uplift_model_registry.is_serving) P(buy | shown),
-- P(buy | not shown) and uplift, the offer's unit margin and discount cost, and the expected incremental margin =
-- uplift x unit margin - discount cost x P(redeem). The four customer types are the
-- probabilities implied by the two outcome probabilities when nobody is both persuadable
-- and a do-not-disturb: sure thing = min(p1, p0), persuadable = max(p1 - p0, 0),
-- do-not-disturb = max(p0 - p1, 0), lost cause = 1 - max(p1, p0).
-- The uplift columns are null when uplift was not estimated (no randomised control group).
with candidates as (
    select
        scores.customer_id,
        scores.offer_id,
        scores.score as p_redeem,
        offers.discount_pct,
        economics.base_price - economics.unit_cost as unit_margin,
        offers.discount_pct * economics.base_price as discount_cost
    from {{ ref('ranker_scores') }} as scores
    inner join {{ ref('stg_metro__offers') }} as offers on scores.offer_id = offers.offer_id
    inner join {{ ref('int_offer_economics') }} as economics on scores.offer_id = economics.offer_id
)

select
    candidates.customer_id,
    candidates.offer_id,
    candidates.p_redeem,
    uplift.learner as uplift_learner,
    uplift.p_if_shown,
    uplift.p_if_not_shown,
    uplift.uplift,
    candidates.unit_margin,
    candidates.discount_cost,
    {{ expected_incremental_margin(
        'uplift.uplift', 'candidates.p_redeem', 'candidates.unit_margin', 'candidates.discount_cost'
    ) }} as expected_incremental_margin,
    -- least/greatest skip nulls: without an estimate the types stay null, not 0
    case when uplift.learner is not null then least(uplift.p_if_shown, uplift.p_if_not_shown) end
        as sure_thing_probability,
    case when uplift.learner is not null then greatest(uplift.p_if_shown - uplift.p_if_not_shown, 0) end
        as persuadable_probability,
    case when uplift.learner is not null then greatest(uplift.p_if_not_shown - uplift.p_if_shown, 0) end
        as do_not_disturb_probability,
    case when uplift.learner is not null then 1 - greatest(uplift.p_if_shown, uplift.p_if_not_shown) end
        as lost_cause_probability
from candidates
left join {{ ref('uplift_serving_scores') }} as uplift
    on candidates.customer_id = uplift.customer_id and candidates.offer_id = uplift.offer_id
