-- The feature frame any ranker reads: one row per candidate (pool, customer, offer) with the
-- customer, offer and interaction features as of the pool's date (macro ranker_features,
-- shared with training_examples).
-- Interactions: bought_before (the product, or any product of the category for a
-- category-level offer), category_affinity_score (share of the customer's spend in the
-- offer's category), price_sensitivity_match (price sensitivity x discount depth), and days
-- since the last purchase in the offer's category (null if never in the look-back window).
-- Customer history of the offer's own products (stg_metro__offer_products): orders, spend,
-- days since the last purchase, time-decayed orders; their popularity overall and in the
-- customer's segment; and the pair's rank in every candidate strategy (rank_by_<strategy>).
{%- set strategies = var('candidate_quotas').keys() | list | sort %}
-- proposed_by (a list) stays in candidate_pool: carried through these joins it made the query
-- run out of memory at 2,000 offers; the rank_by_<strategy> columns carry the same facts.
with pool_pairs as (
    select
        pool,
        customer_id,
        offer_id,
        as_of_date,
        {%- for strategy in strategies %}
            rank_by_{{ strategy }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('candidate_pool') }}
),

featured as (
    {{ ranker_features('pool_pairs', 'as_of_date') }}
)

select
    pool,
    customer_id,
    offer_id,
    as_of_date,
    {{ ranker_feature_columns() }},
    {%- for strategy in strategies %}
        rank_by_{{ strategy }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from featured
