-- Strategy "repeat purchase": product-level offers of each pool on products the customer
-- bought before the pool's date, scored by how many orders contained the product.
-- (Category-level offers are left to category affinity.)
with scored as (
    select
        bought.pool,
        bought.as_of_date,
        bought.customer_id,
        offers.offer_id,
        bought.times_bought as strategy_score
    from {{ ref('int_pool_products_bought') }} as bought
    inner join {{ ref('int_offers_live') }} as offers
        on bought.pool = offers.pool and offers.offer_level = 'product' and bought.product_id = offers.product_id
)

{{ top_candidates_per_customer('scored', 'repeat_purchase') }}
