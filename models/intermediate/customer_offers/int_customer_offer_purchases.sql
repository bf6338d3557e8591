-- What a customer bought of an offer's products (stg_metro__offer_products) before the as-of
-- date, for every request of int_customer_offer_requests: orders with any of them (whole
-- history), spend on them in the look-back window (var feature_lookback_days), days since
-- the last such purchase (null if never) and the time-decayed order count (each order weighs
-- 2^(-days before the as-of date / var offer_product_half_life_days)).
-- Set-based: ASOF lookups of the running totals in int_product_set_daily_purchases at the
-- as-of date and at the window's start, never a range join. An ASOF join sorts every row of
-- the totals it is given (at a million customers, gigabytes spilled to disk), so each is
-- given only the columns it returns, and the window-start lookup only the days before the
-- latest window start (none when the look-back covers the whole history).
with requests as (
    select
        requests.customer_id,
        requests.offer_id,
        requests.as_of_date,
        product_sets.product_set_id,
        {{ dbt.dateadd('day', -1 * var('feature_lookback_days'), 'requests.as_of_date') }} as window_start
    from {{ ref('int_customer_offer_requests') }} as requests
    inner join {{ ref('int_offer_product_sets') }} as product_sets on requests.offer_id = product_sets.offer_id
),

totals_at_as_of as (
    select
        customer_id,
        product_set_id,
        order_date,
        orders_to_date,
        cast(spend_to_date as decimal(18, 4)) as spend_to_date,
        decay_weight_to_date,
        first_order_date
    from {{ ref('int_product_set_daily_purchases') }}
),

totals_before_window as (
    select
        customer_id,
        product_set_id,
        order_date,
        cast(spend_to_date as decimal(18, 4)) as spend_to_date
    from {{ ref('int_product_set_daily_purchases') }}
    where
        order_date < (
            select {{ dbt.dateadd('day', -1 * var('feature_lookback_days'), 'max(as_of_date)') }}
            from {{ ref('int_customer_offer_requests') }}
        )
),

at_as_of as (
    select
        requests.*,
        purchases.order_date as last_purchase_date,
        purchases.orders_to_date,
        purchases.spend_to_date,
        purchases.decay_weight_to_date,
        purchases.first_order_date
    from requests
    {{ asof_join_before(
        'requests', 'totals_at_as_of', 'purchases',
        ['customer_id', 'product_set_id'], 'as_of_date', kind='inner'
    ) }}
)

select
    at_as_of.customer_id,
    at_as_of.offer_id,
    at_as_of.as_of_date,
    at_as_of.orders_to_date as offer_product_orders,
    cast(at_as_of.spend_to_date - coalesce(before_window.spend_to_date, 0) as double) as offer_product_spend,
    {{ days_between('at_as_of.last_purchase_date', 'at_as_of.as_of_date') }} as days_since_offer_product_purchase,
    at_as_of.decay_weight_to_date
    / pow(
        2.0, {{ days_between('at_as_of.first_order_date', 'at_as_of.as_of_date') }}
        / {{ var('offer_product_half_life_days') }}
    ) as offer_product_decayed_orders
from at_as_of
{{ asof_join_before(
    'at_as_of', 'totals_before_window', 'before_window',
    ['customer_id', 'product_set_id'], 'window_start'
) }}
