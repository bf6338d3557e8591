-- Per customer, product set (int_offer_product_sets) and day: the orders, lines and spend
-- with any of the set's products, and running totals per (customer, set) up to that day.
-- decay_weight_to_date is the running sum of orders x 2^((day - first day of data) /
-- var offer_product_half_life_days): divided by 2^((as-of - first day) / half-life) it is
-- the time-decayed order count at any later as-of date (int_customer_offer_purchases), so
-- one ASOF lookup answers it without a range join.
-- Incremental (macros/daily_increments.sql): a run appends the days after the last one it
-- holds for the sets it holds, each (customer, set)'s totals carried on from its last held
-- row, and every day of a set it does not hold (a new offer's; every set on a full build);
-- the pre-hook has dropped the days landed data touched. A daily run reads a day of order
-- lines, not the history.
{{ config(**daily_fact_config(['offer_product_half_life_days'])) }}
{%- set appending = execute and this is not none and is_incremental() %}
{%- set set_lines_from -%}
    select
        order_lines.order_id,
        order_lines.customer_id,
        order_lines.order_date,
        order_lines.line_revenue,
        members.product_set_id
    from {{ ref('int_order_lines_enriched') }} as order_lines
    inner join set_members as members on order_lines.product_id = members.product_id
{%- endset %}

with held_sets as (
    -- the sets the table holds (none on a full build)
    {% if appending %}
        select distinct product_set_id
        from {{ this }}
    {% else %}
        select cast(null as ubigint) as product_set_id
        where false
    {% endif %}
),

set_members as (
    select distinct
        product_sets.product_set_id,
        offer_products.product_id,
        product_sets.product_set_id not in (select held_sets.product_set_id from held_sets) as new_set
    from {{ ref('stg_metro__offer_products') }} as offer_products
    inner join {{ ref('int_offer_product_sets') }} as product_sets on offer_products.offer_id = product_sets.offer_id
),

first_day as (
    select min(order_date) as first_order_date
    from {{ ref('int_order_lines_enriched') }}
),

set_lines as (
    -- the days after the last held one, for the sets held ...
    {{ set_lines_from }}
    where not members.new_set and order_lines.order_date > {{ last_held_day() }}
    union all
    -- ... and every day of the sets not held
    {{ set_lines_from }}
    where members.new_set
),

set_orders as (
    -- one row per order and product set it touched (cheaper than a distinct count per day)
    select
        order_id,
        customer_id,
        product_set_id,
        order_date,
        count(*) as order_lines,
        sum(line_revenue) as spend
    from set_lines
    group by order_id, customer_id, product_set_id, order_date
),

daily as (
    select
        customer_id,
        product_set_id,
        order_date,
        count(*) as orders,
        sum(order_lines) as order_lines,
        sum(spend) as spend
    from set_orders
    group by customer_id, product_set_id, order_date
),

carried as (
    {{ carried_running_totals(
        ['customer_id', 'product_set_id'], ['orders_to_date', 'spend_to_date', 'decay_weight_to_date']
    ) }}
)

select
    daily.customer_id,
    daily.product_set_id,
    daily.order_date,
    daily.orders,
    daily.order_lines,
    daily.spend,
    cast(coalesce(carried.orders_to_date, 0) + sum(daily.orders) over customer_set as bigint) as orders_to_date,
    coalesce(carried.spend_to_date, 0) + sum(daily.spend) over customer_set as spend_to_date,
    coalesce(carried.decay_weight_to_date, 0.0) + sum(
        daily.orders
        * pow(
            2.0, {{ days_between('first_day.first_order_date', 'daily.order_date') }}
            / {{ var('offer_product_half_life_days') }}
        )
    ) over customer_set as decay_weight_to_date,
    first_day.first_order_date
from daily
cross join first_day
left join carried on daily.customer_id = carried.customer_id and daily.product_set_id = carried.product_set_id
window customer_set as (
    partition by daily.customer_id, daily.product_set_id
    order by daily.order_date rows between unbounded preceding and current row
)
