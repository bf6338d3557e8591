-- Typed impressions with a rejection_reason per row (null = accepted).
with landed as (
    select * from {{ source('metro_raw', 'impressions') }}
),

customers as (
    select
        customer_id,
        signup_date
    from {{ ref('base_metro__customers') }}
    where rejection_reason is null
),

offers as (
    select offer_id
    from {{ ref('base_metro__offers') }}
    where rejection_reason is null
),

typed as (
    select
        cast(impression_id as bigint) as impression_id,
        cast(customer_id as bigint) as customer_id,
        cast(offer_id as bigint) as offer_id,
        cast(impression_date as date) as impression_date,
        lower(trim(policy)) as policy,
        cast(selection_propensity as double) as selection_propensity,
        cast(is_control as boolean) as is_control,
        filename as source_file,
        file_row_number
    from landed
),

duplicates as (
    {{ duplicate_key_ranks('typed', ['impression_id']) }}
)

select
    typed.*,
    case
        when typed.impression_id is null then 'null_key'
        when duplicates.key_rank > 1 then 'duplicate_key'
        when customers.customer_id is null then 'unknown_customer'
        when offers.offer_id is null then 'unknown_offer'
        when typed.impression_date is null then 'null_impression_date'
        when typed.impression_date < customers.signup_date then 'impression_before_signup'
        when typed.policy not in ('targeted', 'explore', 'control', 'unknown') then 'unknown_policy'
        when typed.is_control is null or (typed.policy = 'control') != typed.is_control
            then 'control_flag_mismatch'
        when typed.selection_propensity <= 0 or typed.selection_propensity > 1
            then 'propensity_out_of_range'
    end as rejection_reason
from typed
left join duplicates
    on typed.source_file = duplicates.source_file and typed.file_row_number = duplicates.file_row_number
left join customers on typed.customer_id = customers.customer_id
left join offers on typed.offer_id = offers.offer_id
