-- Observed uplift per product-level offer from the randomised control group, before
-- run_date: the share of shown customers who bought the offered product inside the offer
-- window (with the offer or without) minus the share of held-out customers who bought it
-- anyway. Category-level offers have no comparable outcome and are left out.
with per_offer as (
    select
        offer_id,
        sum(shown) as shown,
        sum(control) as control,
        sum(shown_buyers) as shown_buyers,
        sum(control_buyers) as control_buyers
    from {{ ref('offer_performance') }}
    group by offer_id
)

select
    per_offer.offer_id,
    per_offer.shown as shown_customers,
    per_offer.control as control_customers,
    per_offer.shown_buyers / nullif(per_offer.shown, 0) as shown_purchase_rate,
    per_offer.control_buyers / nullif(per_offer.control, 0) as control_purchase_rate,
    per_offer.shown_buyers / nullif(per_offer.shown, 0)
    - per_offer.control_buyers / nullif(per_offer.control, 0) as observed_uplift
from per_offer
inner join {{ ref('stg_metro__offers') }} as offers on per_offer.offer_id = offers.offer_id
where offers.offer_level = 'product'
order by observed_uplift desc
