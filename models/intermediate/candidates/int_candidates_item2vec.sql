-- Strategy "item2vec": the pool's offers nearest the customer in the Item2Vec space (cosine
-- of the customer's recency-weighted product vector and the offer's mean product vector,
-- retrieved with FAISS by item2vec_retrieval). Customers with no product known to the model
-- get none.
with scored as (
    select
        pool,
        as_of_date,
        customer_id,
        offer_id,
        strategy_score
    from {{ ref('item2vec_retrieval') }}
)

{{ top_candidates_per_customer('scored', 'item2vec') }}
