-- The t-SNE map of the latest Item2Vec model's most bought products, with their names.
select
    map.product_id,
    products.product_name,
    categories.category_name,
    categories.department,
    map.orders,
    map.x::double as x,
    map.y::double as y,
    map.anchor_date::date as anchor_date
from {{ ref('item2vec_product_map') }} as map
inner join {{ ref('stg_metro__products') }} as products on map.product_id = products.product_id
left join {{ ref('categories') }} as categories on products.category_id = categories.category_id
