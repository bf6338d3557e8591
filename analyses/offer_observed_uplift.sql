-- Observed uplift per offer from the randomised control group, before run_date:
-- redemption rate among shown customers versus the rate at which held-out (control)
-- customers bought the offered product anyway inside the offer window. Product-level
-- offers only (a category purchase is not a comparable outcome).
with impressions as (
    select
        impressions.impression_id,
        impressions.customer_id,
        impressions.offer_id,
        impressions.impression_date,
        impressions.is_control,
        offers.product_id,
        offers.end_date
    from {{ ref('stg_metro__impressions') }} as impressions
    inner join {{ ref('stg_metro__offers') }} as offers on impressions.offer_id = offers.offer_id
    where offers.offer_level = 'product' and impressions.impression_date < {{ run_date() }}
),

outcomes as (
    select
        impressions.offer_id,
        impressions.is_control,
        count(distinct impressions.impression_id) as customers,
        count(distinct case when order_lines.order_id is not null then impressions.impression_id end) as buyers
    from impressions
    left join {{ ref('int_order_lines_as_of_run_date') }} as order_lines
        on
            impressions.customer_id = order_lines.customer_id
            and impressions.product_id = order_lines.product_id
            and order_lines.order_date between impressions.impression_date and impressions.end_date
    group by impressions.offer_id, impressions.is_control
)

select
    shown.offer_id,
    shown.customers as shown_customers,
    control.customers as control_customers,
    shown.buyers / shown.customers as shown_purchase_rate,
    control.buyers / nullif(control.customers, 0) as control_purchase_rate,
    shown.buyers / shown.customers - control.buyers / nullif(control.customers, 0) as observed_uplift
from outcomes as shown
left join outcomes as control on shown.offer_id = control.offer_id and control.is_control
where not shown.is_control
order by observed_uplift desc
