-- Unit economics of every accepted offer: the shelf price and cost it applies to (the
-- product's, or the category's average for category-level offers), the unit margin left
-- after the discount, and the margin impact = share of the regular unit margin the discount
-- gives away (above 1 means the offer sells below cost).
with category_averages as (
    select
        category_id,
        -- exact sums: an average of doubles depends on the order the rows arrive in
        avg({{ money('base_price') }}) as base_price,
        avg({{ money('unit_cost') }}) as unit_cost
    from {{ ref('stg_metro__products') }}
    group by category_id
),

priced as (
    select
        offers.offer_id,
        coalesce(products.base_price, category_averages.base_price) as base_price,
        coalesce(products.unit_cost, category_averages.unit_cost) as unit_cost,
        offers.discount_pct
    from {{ ref('stg_metro__offers') }} as offers
    left join {{ ref('stg_metro__products') }} as products
        on offers.offer_level = 'product' and offers.product_id = products.product_id
    left join category_averages
        on offers.offer_level = 'category' and offers.category_id = category_averages.category_id
)

select
    offer_id,
    base_price,
    unit_cost,
    base_price * (1 - discount_pct) - unit_cost as unit_margin_after_discount,
    discount_pct * base_price / nullif(base_price - unit_cost, 0) as margin_impact
from priced
