-- An accepted redemption is an accepted order line of the redeemed product, carrying the
-- offer, on the redemption day, inside the offer's validity window, at a discount.
select redemptions.redemption_id
from {{ ref('stg_metro__redemptions') }} as redemptions
inner join {{ ref('stg_metro__offers') }} as offers on redemptions.offer_id = offers.offer_id
left join {{ ref('int_order_lines_enriched') }} as lines
    on
        redemptions.order_id = lines.order_id
        and redemptions.product_id = lines.product_id
        and redemptions.offer_id = lines.offer_id
        and redemptions.redemption_date = lines.order_date
        and lines.discount_amount > 0
where
    lines.order_id is null
    or redemptions.redemption_date not between offers.start_date and offers.end_date
