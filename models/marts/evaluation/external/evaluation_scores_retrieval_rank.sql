-- An external ranker for offline evaluation, and the template for new ones: the candidate
-- retrieval's own order (the best rank any strategy gave the offer, ties by strategy count),
-- scored for every row of the evaluation pool. List it in var evaluation_external_rankers to
-- see how far retrieval alone gets, beside the trained rankers.
select
    candidates.customer_id,
    candidates.offer_id,
    1.0 / candidates.best_strategy_rank + 0.001 * candidates.strategy_count as score
from {{ ref('candidate_pool') }} as candidates
where candidates.pool = {{ pool_name('evaluation') }}
