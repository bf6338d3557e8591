-- Typed orders with a rejection_reason per row (null = accepted).
with landed as (
    select * from {{ source('metro_raw', 'orders') }}
),

customers as (
    select
        customer_id,
        signup_date
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
        file_row_number
    from landed
),

duplicates as (
    {{ duplicate_key_ranks('typed', ['order_id']) }}
)

select
    typed.*,
    case
        when typed.order_id is null then 'null_key'
        when duplicates.key_rank > 1 then 'duplicate_key'
        when customers.customer_id is null then 'unknown_customer'
        when typed.order_date is null then 'null_order_date'
        when typed.order_date < customers.signup_date then 'order_before_signup'
    end as rejection_reason
from typed
left join duplicates
    on typed.source_file = duplicates.source_file and typed.file_row_number = duplicates.file_row_number
left join customers on typed.customer_id = customers.customer_id
