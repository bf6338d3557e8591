-- Typed orders with a rejection_reason per row (null = accepted).
with landed as (
    select * from {{ source('metro_raw', 'orders') }}
),

customers as (
    select customer_id, signup_date
    from {{ ref('base_metro__customers') }}
    where rejection_reason is null
),

typed as (
    select
        cast(order_id as bigint) as order_id,
        cast(customer_id as bigint) as customer_id,
        cast(order_date as date) as order_date,
        cast(store_id as integer) as store_id,
        filename as source_file,
        to_json(landed) as source_row
    from landed
),

ranked as (
    select
        *,
        row_number() over (
            partition by order_id order by source_file desc, source_row
        ) as key_rank
    from typed
)

select
    ranked.* exclude (key_rank),
    case
        when ranked.order_id is null then 'null_key'
        when ranked.key_rank > 1 then 'duplicate_key'
        when customers.customer_id is null then 'unknown_customer'
        when ranked.order_date is null then 'null_order_date'
        when ranked.order_date < customers.signup_date then 'order_before_signup'
    end as rejection_reason
from ranked
left join customers on ranked.customer_id = customers.customer_id
