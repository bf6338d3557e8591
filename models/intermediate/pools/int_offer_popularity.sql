-- How popular each pool offer's products are in each segment as of the pool's date: orders
-- with any of the offer's products in the var segment_popularity_window_days days before it,
-- per customer of the segment with a card before it (int_offer_product_popularity, the same
-- numbers the rankers' popularity features and baselines use). Read by the segment
-- popularity strategy and the recommendations' fallback.
select
    offers.pool,
    offers.as_of_date,
    popularity.segment,
    offers.offer_id,
    popularity.offer_product_segment_popularity as segment_popularity
from {{ ref('int_offers_live') }} as offers
inner join {{ ref('int_offer_product_popularity') }} as popularity
    on offers.offer_id = popularity.offer_id and offers.as_of_date = popularity.as_of_date
