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
        to_json(landed) as source_row
    from landed
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_id order by source_file desc, source_row
        ) as key_rank
    from typed
)

select
    ranked.* exclude (key_rank),
    case
        when ranked.customer_id is null then 'null_key'
        when ranked.key_rank > 1 then 'duplicate_key'
        when segments.segment is null then 'unknown_segment'
        when ranked.signup_date is null then 'null_signup_date'
    end as rejection_reason
from ranked
left join segments on ranked.segment = segments.segment
