-- An accepted redemption is an accepted order line of the redeemed product, carrying the
-- offer, on the redemption day, inside the offer's validity window, at a discount.
select redemptions.redemption_id
from {{ ref('stg_metro__redemptions') }} as redemptions
inner join {{ ref('stg_metro__offers') }} as offers on redemptions.offer_id = offers.offer_id
left join {{ ref('int_order_lines_enriched') }} as order_lines
    on
        redemptions.order_id = order_lines.order_id
        and redemptions.product_id = order_lines.product_id
        and redemptions.offer_id = order_lines.offer_id
        and redemptions.redemption_date = order_lines.order_date
        and order_lines.discount_amount > 0
where
    order_lines.order_id is null
    or redemptions.redemption_date not between offers.start_date and offers.end_date
