-- Strategy "segment popularity": live offers whose target sells to the largest share of the
-- customer's segment in the last var segment_popularity_window_days days (the product for a
-- product-level offer, any product of the category for a category-level one). Each segment
-- keeps twice its quota before already-redeemed offers are removed per customer.
with recent_lines as (
    select
        customers.segment,
        order_lines.customer_id,
        order_lines.product_id,
        order_lines.category_id
    from {{ ref('int_order_lines_as_of_run_date') }} as order_lines
    inner join {{ ref('int_customers_active') }} as customers on order_lines.customer_id = customers.customer_id
    where order_lines.order_date >= {{ dbt.dateadd('day', -1 * var('segment_popularity_window_days'), run_date()) }}
),

product_buyers as (
    select
        segment,
        product_id,
        count(distinct customer_id) as buyers
    from recent_lines
    group by segment, product_id
),

category_buyers as (
    select
        segment,
        category_id,
        count(distinct customer_id) as buyers
    from recent_lines
    group by segment, category_id
),

offer_buyers as (
    select
        product_buyers.segment,
        offers.offer_id,
        product_buyers.buyers
    from {{ ref('int_offers_live') }} as offers
    inner join product_buyers on offers.product_id = product_buyers.product_id
    where offers.offer_level = 'product'
    union all
    select
        category_buyers.segment,
        offers.offer_id,
        category_buyers.buyers
    from {{ ref('int_offers_live') }} as offers
    inner join category_buyers on offers.category_id = category_buyers.category_id
    where offers.offer_level = 'category'
),

segment_sizes as (
    select
        segment,
        count(*) as customers_in_segment
    from {{ ref('int_customers_active') }}
    group by segment
),

segment_top as (
    select
        offer_buyers.segment,
        offer_buyers.offer_id,
        offer_buyers.buyers / segment_sizes.customers_in_segment as strategy_score
    from offer_buyers
    inner join segment_sizes on offer_buyers.segment = segment_sizes.segment
    qualify
        row_number() over (partition by offer_buyers.segment order by strategy_score desc, offer_buyers.offer_id asc)
        <= 2 * {{ var('candidate_quotas')['segment_popularity'] }}
),

scored as (
    select
        customers.customer_id,
        segment_top.offer_id,
        segment_top.strategy_score
    from {{ ref('int_customers_active') }} as customers
    inner join segment_top on customers.segment = segment_top.segment
)

{{ top_candidates_per_customer('scored', 'segment_popularity') }}
