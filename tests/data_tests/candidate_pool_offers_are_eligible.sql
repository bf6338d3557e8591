-- A candidate must be an offer valid on run_date that the customer has not redeemed before.
select
    pool.customer_id,
    pool.offer_id,
    case
        when offers.offer_id is null then 'unknown offer'
        when {{ run_date() }} not between offers.start_date and offers.end_date then 'offer not valid on run_date'
        else 'already redeemed'
    end as problem
from {{ ref('candidate_pool') }} as pool
left join {{ ref('stg_metro__offers') }} as offers on pool.offer_id = offers.offer_id
left join {{ ref('stg_metro__redemptions') }} as redemptions
    on
        pool.customer_id = redemptions.customer_id
        and pool.offer_id = redemptions.offer_id
        and redemptions.redemption_date < {{ run_date() }}
where
    offers.offer_id is null
    or {{ run_date() }} not between offers.start_date and offers.end_date
    or redemptions.redemption_id is not null
