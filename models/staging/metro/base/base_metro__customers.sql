-- Typed customers with a rejection_reason per row (null = accepted). Only the stg_ view
-- and rejected_rows read this; nothing is dropped silently.
with landed as (
    select * from {{ source('metro_raw', 'customers') }}
),

segments as (
    select segment from {{ ref('segments') }}
),

typed as (
    select
        cast(customer_id as bigint) as customer_id,
        lower(trim(segment)) as segment,
        cast(signup_date as date) as signup_date,
        cast(home_store_id as integer) as home_store_id,
        filename as source_file,
        file_row_number
    from landed
),

duplicates as (
    {{ duplicate_key_ranks('typed', ['customer_id']) }}
)

select
    typed.*,
    case
        when typed.customer_id is null then 'null_key'
        when duplicates.key_rank > 1 then 'duplicate_key'
        when segments.segment is null then 'unknown_segment'
        when typed.signup_date is null then 'null_signup_date'
    end as rejection_reason
from typed
left join duplicates
    on typed.source_file = duplicates.source_file and typed.file_row_number = duplicates.file_row_number
left join segments on typed.segment = segments.segment
