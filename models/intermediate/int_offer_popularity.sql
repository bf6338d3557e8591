-- How popular each pool offer's target is in each segment: the share of the segment's
-- customers (card before the pool's date) who bought it in the var
-- segment_popularity_window_days days before the pool's date (the product for a product-level
-- offer, any product of its category for a category-level one). Read by the segment
-- popularity strategy and, summed over segments, by the popularity baselines of evaluation.
with segment_members as (
    select
        pools.pool,
        pools.as_of_date,
        customers.customer_id,
        customers.segment
    from {{ ref('int_pool_dates') }} as pools
    inner join {{ ref('stg_metro__customers') }} as customers on pools.as_of_date > customers.signup_date
),

recent_lines as (
    select
        members.pool,
        members.segment,
        order_lines.customer_id,
        order_lines.product_id,
        order_lines.category_id
    from {{ ref('int_order_lines_enriched') }} as order_lines
    inner join segment_members as members
        on
            order_lines.customer_id = members.customer_id
            and order_lines.order_date < members.as_of_date
            and order_lines.order_date
            >= {{ dbt.dateadd('day', -1 * var('segment_popularity_window_days'), 'members.as_of_date') }}
),

product_buyers as (
    select
        pool,
        segment,
        product_id,
        count(distinct customer_id) as buyers
    from recent_lines
    group by pool, segment, product_id
),

category_buyers as (
    select
        pool,
        segment,
        category_id,
        count(distinct customer_id) as buyers
    from recent_lines
    group by pool, segment, category_id
),

segment_sizes as (
    select
        pool,
        segment,
        count(*) as customers_in_segment
    from segment_members
    group by pool, segment
),

offer_buyers as (
    select
        offers.pool,
        offers.as_of_date,
        segment_sizes.segment,
        offers.offer_id,
        segment_sizes.customers_in_segment,
        coalesce(
            case when offers.offer_level = 'product' then product_buyers.buyers else category_buyers.buyers end, 0
        ) as buyers
    from {{ ref('int_offers_live') }} as offers
    inner join segment_sizes on offers.pool = segment_sizes.pool
    left join product_buyers
        on
            offers.pool = product_buyers.pool
            and segment_sizes.segment = product_buyers.segment
            and offers.product_id = product_buyers.product_id
    left join category_buyers
        on
            offers.pool = category_buyers.pool
            and segment_sizes.segment = category_buyers.segment
            and offers.category_id = category_buyers.category_id
)

select
    pool,
    as_of_date,
    segment,
    offer_id,
    buyers,
    customers_in_segment,
    buyers / customers_in_segment as segment_buyer_share
from offer_buyers
