-- The ranking task uses only the past and labels it right: every label agrees with the
-- redemptions of its pool's window [as-of date, label_window_end), no training pool's window
-- reaches past the evaluation cutoff (the evaluation ranker never sees the evaluated
-- window), and the offer-history features predate the pool's date.
with redeemed as (
    select
        pools.pool,
        redemptions.customer_id,
        redemptions.offer_id
    from {{ ref('stg_metro__redemptions') }} as redemptions
    inner join {{ ref('int_pool_dates') }} as pools
        on
            redemptions.redemption_date >= pools.as_of_date
            and redemptions.redemption_date < pools.label_window_end
    group by pools.pool, redemptions.customer_id, redemptions.offer_id
),

checked as (
    select
        examples.pool,
        examples.customer_id,
        examples.offer_id,
        case
            when examples.redeemed_in_window and redeemed.offer_id is null
                then 'labelled redeemed without a redemption in the window'
            when not examples.redeemed_in_window and redeemed.offer_id is not null
                then 'a redemption in the window labelled not redeemed'
            when examples.pool_role = 'training' and examples.label_window_end > {{ evaluation_cutoff() }}
                then 'training label window past the evaluation cutoff'
            when examples.days_since_offer_product_purchase < 1
                then 'an offer-product purchase on or after the as-of date'
            when examples.bought_before != (examples.offer_product_orders > 0)
                then 'bought_before disagrees with offer_product_orders'
        end as problem
    from {{ ref('pool_examples') }} as examples
    left join redeemed
        on
            examples.pool = redeemed.pool
            and examples.customer_id = redeemed.customer_id
            and examples.offer_id = redeemed.offer_id
)

select *
from checked
where problem is not null
