-- Strategy "repeat purchase": live product-level offers on products the customer bought
-- before run_date, scored by how many orders contained the product. (Category-level offers
-- are left to category affinity.)
with scored as (
    select
        bought.customer_id,
        offers.offer_id,
        bought.times_bought as strategy_score
    from {{ ref('int_customer_products_bought') }} as bought
    inner join {{ ref('int_offers_live') }} as offers
        on offers.offer_level = 'product' and bought.product_id = offers.product_id
)

{{ top_candidates_per_customer('scored', 'repeat_purchase') }}
