-- The product vectors the latest Item2Vec model learnt (the serving pool's anchor), with the
-- product's names: what the dashboard's Embeddings view and other services read.
with latest as (
    select max(anchor_date) as anchor_date
    from {{ ref('item2vec_embeddings') }}
)

select
    embeddings.product_id,
    products.product_name,
    products.category_id,
    categories.category_name,
    categories.department,
    embeddings.anchor_date,
    embeddings.vector::float[] as vector  -- noqa: RF04
from {{ ref('item2vec_embeddings') }} as embeddings
inner join latest on embeddings.anchor_date = latest.anchor_date
inner join {{ ref('stg_metro__products') }} as products on embeddings.product_id = products.product_id
left join {{ ref('categories') }} as categories on products.category_id = categories.category_id
