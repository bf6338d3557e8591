-- Strategy "segment popularity": offers of each pool whose products the customer's segment
-- ordered most per customer before the pool's date (int_offer_popularity). Each segment keeps
-- twice its quota before already-redeemed offers are removed per customer.
with segment_top as (
    select
        pool,
        segment,
        offer_id,
        segment_popularity as strategy_score
    from {{ ref('int_offer_popularity') }}
    where segment_popularity > 0
    qualify
        row_number() over (partition by pool, segment order by segment_popularity desc, offer_id asc)
        <= 2 * {{ var('candidate_quotas')['segment_popularity'] }}
),

scored as (
    select
        customers.pool,
        customers.as_of_date,
        customers.customer_id,
        segment_top.offer_id,
        segment_top.strategy_score
    from {{ ref('int_pool_customers') }} as customers
    inner join segment_top on customers.pool = segment_top.pool and customers.segment = segment_top.segment
)

{{ top_candidates_per_customer('scored', 'segment_popularity') }}
