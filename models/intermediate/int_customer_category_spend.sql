-- Spend per customer, as-of date and category inside the look-back window ending the day
-- before the as-of date, the category's share of the customer's spend (the category affinity
-- score) and the last purchase day in it.
with daily as (
    select
        customer_id,
        category_id,
        order_date,
        sum(line_revenue) as category_spend,
        count(*) as category_lines
    from {{ ref('int_order_lines_enriched') }}
    group by customer_id, category_id, order_date
),

spend as (
    select
        requests.customer_id,
        requests.as_of_date,
        daily.category_id,
        sum(daily.category_spend) as category_spend,
        sum(daily.category_lines) as category_lines,
        max(daily.order_date) as last_category_purchase_date
    from {{ ref('int_feature_requests') }} as requests
    inner join daily
        on
            requests.customer_id = daily.customer_id
            and requests.as_of_date > daily.order_date
            and daily.order_date >= {{ dbt.dateadd('day', -1 * var('feature_lookback_days'), 'requests.as_of_date') }}
    group by requests.customer_id, requests.as_of_date, daily.category_id
)

select
    customer_id,
    as_of_date,
    category_id,
    category_spend,
    category_lines,
    last_category_purchase_date,
    category_spend / nullif(sum(category_spend) over (partition by customer_id, as_of_date), 0)
        as category_spend_share
from spend
