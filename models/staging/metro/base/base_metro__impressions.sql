-- Typed impressions with a rejection_reason per row (null = accepted).
with landed as (
    select * from {{ source('metro_raw', 'impressions') }}
),

customers as (
    select customer_id, signup_date
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
        to_json(landed) as source_row
    from landed
),

ranked as (
    select
        *,
        row_number() over (
            partition by impression_id order by source_file desc, source_row
        ) as key_rank
    from typed
)

select
    ranked.* exclude (key_rank),
    case
        when ranked.impression_id is null then 'null_key'
        when ranked.key_rank > 1 then 'duplicate_key'
        when customers.customer_id is null then 'unknown_customer'
        when offers.offer_id is null then 'unknown_offer'
        when ranked.impression_date is null then 'null_impression_date'
        when ranked.impression_date < customers.signup_date then 'impression_before_signup'
        when ranked.policy not in ('targeted', 'explore', 'control', 'unknown') then 'unknown_policy'
        when ranked.is_control is null or (ranked.policy = 'control') != ranked.is_control
            then 'control_flag_mismatch'
        when ranked.selection_propensity <= 0 or ranked.selection_propensity > 1
            then 'propensity_out_of_range'
    end as rejection_reason
from ranked
left join customers on ranked.customer_id = customers.customer_id
left join offers on ranked.offer_id = offers.offer_id
