-- Each offer's product set: offers that discount the same products (every category-level
-- offer of a category, repeated coupons on one product) share one product_set_id, so the
-- customer-history features are computed once per set, not once per offer.
select
    offer_id,
    hash(list(product_id order by product_id)) as product_set_id,
    count(*) as offer_product_count
from {{ ref('stg_metro__offer_products') }}
group by offer_id
