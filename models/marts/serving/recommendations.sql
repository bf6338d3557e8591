-- Top var recommendations_per_customer offers per customer as of run_date: the serving
-- candidate pool ranked by var recommendation_objective - p_redeem, the live ranker's score,
-- or incremental_margin, campaign_targeting's expected incremental margin (ties by offer id),
-- with the strategies
-- that proposed each offer, the model version and the source: 'ranker' for a learned ranker,
-- or the baseline's name when no learned ranker beat it on validation.
-- Fallback: an active customer without any candidate (every offer valid on run_date already
-- redeemed) gets the segment's most popular valid offers (int_offer_popularity), marked
-- recommendation_source = 'segment_popularity_fallback' and without a score. Only when no
-- offer at all is valid on run_date does a customer get no rows.
{%- set objective = var('recommendation_objective') -%}
{%- if objective not in ('p_redeem', 'incremental_margin') -%}
    {{ exceptions.raise_compiler_error(
        "var recommendation_objective must be p_redeem or incremental_margin, got '" ~ objective ~ "'") }}
{%- endif %}
with scored as (
    select
        scores.customer_id,
        scores.offer_id,
        scores.score,
        targeting.expected_incremental_margin,
        scores.model_version,
        scores.recommendation_source,
        candidates.proposed_by,
        candidates.as_of_date
    from {{ ref('ranker_scores') }} as scores
    inner join {{ ref('candidate_pool') }} as candidates
        on scores.customer_id = candidates.customer_id and scores.offer_id = candidates.offer_id
    inner join {{ ref('campaign_targeting') }} as targeting
        on scores.customer_id = targeting.customer_id and scores.offer_id = targeting.offer_id
    where candidates.pool = {{ pool_name('serving') }}
),

ranked as (
    select
        customer_id,
        offer_id,
        score,
        expected_incremental_margin,
        model_version,
        proposed_by,
        as_of_date,
        recommendation_source,
        row_number() over (
            partition by customer_id
            order by
                {{ 'expected_incremental_margin' if objective == 'incremental_margin' else 'score' }} desc,
                offer_id asc
        ) as recommendation_rank
    from scored
),

live_model as (
    -- the newest registered model: the one this build scored with
    select model_version
    from {{ ref('model_registry') }}
    order by trained_at desc, model_version desc
    limit 1
),

customers_without_candidates as (
    select
        customers.customer_id,
        customers.segment,
        customers.as_of_date
    from {{ ref('int_pool_customers') }} as customers
    where
        customers.pool = {{ pool_name('serving') }}
        and not exists (
            select 1 from scored
            where scored.customer_id = customers.customer_id
        )
),

fallback as (
    select
        customers.customer_id,
        popularity.offer_id,
        cast(null as double) as score,
        cast(null as double) as expected_incremental_margin,
        live_model.model_version,
        ['segment_popularity'] as proposed_by,
        customers.as_of_date,
        'segment_popularity_fallback' as recommendation_source,
        row_number() over (
            partition by customers.customer_id order by popularity.segment_popularity desc, popularity.offer_id asc
        ) as recommendation_rank
    from customers_without_candidates as customers
    inner join {{ ref('int_offer_popularity') }} as popularity
        on popularity.pool = {{ pool_name('serving') }} and customers.segment = popularity.segment
    cross join live_model
),

served as (
    select * from ranked
    union all by name
    select * from fallback
)

select
    customer_id,
    recommendation_rank,
    offer_id,
    score,
    expected_incremental_margin,
    model_version,
    proposed_by,
    recommendation_source,
    as_of_date as run_date
from served
where recommendation_rank <= {{ var('recommendations_per_customer') }}
