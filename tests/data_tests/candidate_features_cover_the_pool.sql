-- Every pool row gets a feature row and no feature row exists outside the pool.
select
    coalesce(pool.pool, features.pool) as pool,
    coalesce(pool.customer_id, features.customer_id) as customer_id,
    coalesce(pool.offer_id, features.offer_id) as offer_id
from {{ ref('candidate_pool') }} as pool
full outer join {{ ref('candidate_features') }} as features
    on pool.pool = features.pool and pool.customer_id = features.customer_id and pool.offer_id = features.offer_id
where pool.customer_id is null or features.customer_id is null
