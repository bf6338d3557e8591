-- The recommendations as served: each row of recommendations with the feature values of its
-- serving candidate (candidate_features, pool 'serving'), which the API returns and the
-- dashboard's explorer explains the score with. What the snapshot copies as its
-- recommendations table. A fallback row has no candidate: its features are null.
select
    recs.customer_id,
    recs.recommendation_rank,
    recs.offer_id,
    recs.score,
    recs.expected_incremental_margin,
    recs.model_version,
    recs.proposed_by,
    recs.recommendation_source,
    recs.run_date,
    -- every feature of the candidate, whatever strategies var candidate_quotas lists (the
    -- contract names them)
    features.* exclude (customer_id, offer_id, pool, as_of_date)  -- noqa: AM04, RF02
from {{ ref('recommendations') }} as recs
left join {{ ref('candidate_features') }} as features
    on
        features.pool = {{ pool_name('serving') }}
        and recs.customer_id = features.customer_id
        and recs.offer_id = features.offer_id
