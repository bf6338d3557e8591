-- Top var recommendations_per_customer offers per customer as of run_date: the candidate pool
-- ranked by the registered ranker's score (ties by offer id), with the strategies that
-- proposed each offer and the model version. Every active customer with an eligible live
-- offer has candidates (the high-margin strategy proposes to everyone), so an empty list
-- means no live offer the customer has not redeemed.
with scored as (
    select
        scores.customer_id,
        scores.offer_id,
        scores.score,
        scores.model_version,
        pool.proposed_by,
        pool.as_of_date
    from {{ ref('ranker_scores') }} as scores
    inner join {{ ref('candidate_pool') }} as pool
        on scores.customer_id = pool.customer_id and scores.offer_id = pool.offer_id
),

ranked as (
    select
        *,
        row_number() over (partition by customer_id order by score desc, offer_id asc) as recommendation_rank
    from scored
)

select
    customer_id,
    recommendation_rank,
    offer_id,
    score,
    model_version,
    proposed_by,
    as_of_date as run_date
from ranked
where recommendation_rank <= {{ var('recommendations_per_customer') }}
