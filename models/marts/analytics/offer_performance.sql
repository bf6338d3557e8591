-- Per offer and segment, before run_date: shown customers and their redemptions (within var
-- label_window_days and at all), and the randomised control group - for product-level offers,
-- how many held-out customers bought the offered product anyway inside the offer window, so
-- that shown buyers (redeemed or bought) minus control buyers is the observed uplift.
with impressions as (
    select
        impressions.impression_id,
        impressions.customer_id,
        impressions.offer_id,
        impressions.impression_date,
        impressions.is_control,
        customers.segment,
        offers.offer_level,
        offers.product_id,
        offers.end_date
    from {{ ref('stg_metro__impressions') }} as impressions
    inner join {{ ref('stg_metro__offers') }} as offers on impressions.offer_id = offers.offer_id
    inner join {{ ref('stg_metro__customers') }} as customers on impressions.customer_id = customers.customer_id
    where impressions.impression_date < {{ run_date() }}
),

redeemed as (
    select
        impression_id,
        min(redemption_date) as first_redemption_date
    from {{ ref('stg_metro__redemptions') }}
    where redemption_date < {{ run_date() }}
    group by impression_id
),

product_buyers as (
    -- impressions (shown or control) of product-level offers whose customer bought the
    -- product inside the offer window, with or without the offer
    select distinct impressions.impression_id
    from impressions
    inner join {{ ref('int_order_lines_as_of_run_date') }} as order_lines
        on
            impressions.customer_id = order_lines.customer_id
            and impressions.product_id = order_lines.product_id
            and order_lines.order_date between impressions.impression_date and impressions.end_date
    where impressions.offer_level = 'product'
)

select
    impressions.offer_id,
    impressions.segment,
    count(case when not impressions.is_control then 1 end) as shown,
    count(
        case
            when
                not impressions.is_control
                and redeemed.first_redemption_date
                < {{ dbt.dateadd('day', var('label_window_days'), 'impressions.impression_date') }}
                then 1
        end
    ) as redeemed_within_label_window,
    count(case when not impressions.is_control and redeemed.impression_id is not null then 1 end) as redeemed,
    count(case when impressions.is_control then 1 end) as control,
    count(case when not impressions.is_control and buyers.impression_id is not null then 1 end) as shown_buyers,
    count(case when impressions.is_control and buyers.impression_id is not null then 1 end) as control_buyers
from impressions
left join redeemed on impressions.impression_id = redeemed.impression_id
left join product_buyers as buyers on impressions.impression_id = buyers.impression_id
group by impressions.offer_id, impressions.segment
