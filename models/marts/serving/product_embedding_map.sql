-- The t-SNE map of the latest Item2Vec model's most bought products, with their names.
select
    coordinates.product_id,
    products.product_name,
    categories.category_name,
    categories.department,
    coordinates.orders,
    coordinates.x::double as x,
    coordinates.y::double as y,
    coordinates.anchor_date::date as anchor_date
from {{ ref('item2vec_product_map') }} as coordinates
inner join {{ ref('stg_metro__products') }} as products on coordinates.product_id = products.product_id
left join {{ ref('categories') }} as categories on products.category_id = categories.category_id
