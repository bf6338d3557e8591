-- Typed redemptions with a rejection_reason per row (null = accepted). A redemption must be
-- backed by an accepted order line of the redeemed product carrying the offer, inside the
-- offer's validity window.
with landed as (
    select * from {{ source('metro_raw', 'redemptions') }}
),

impressions as (
    select
        impression_id,
        customer_id,
        offer_id,
        is_control
    from {{ ref('base_metro__impressions') }}
    where rejection_reason is null
),

offers as (
    select
        offer_id,
        start_date,
        end_date
    from {{ ref('base_metro__offers') }}
    where rejection_reason is null
),

backing_lines as (
    select distinct
        items.order_id,
        items.product_id,
        items.offer_id,
        orders.order_date
    from {{ ref('base_metro__order_items') }} as items
    inner join {{ ref('base_metro__orders') }} as orders on items.order_id = orders.order_id
    where
        items.rejection_reason is null
        and orders.rejection_reason is null
        and items.offer_id is not null
),

typed as (
    select
        cast(redemption_id as bigint) as redemption_id,
        cast(impression_id as bigint) as impression_id,
        cast(customer_id as bigint) as customer_id,
        cast(offer_id as bigint) as offer_id,
        cast(order_id as bigint) as order_id,
        cast(product_id as bigint) as product_id,
        cast(redemption_date as date) as redemption_date,
        cast(discount_amount as double) as discount_amount,
        filename as source_file,
        file_row_number
    from landed
),

duplicates as (
    {{ duplicate_key_ranks('typed', ['redemption_id']) }}
)

select
    typed.*,
    case
        when typed.redemption_id is null then 'null_key'
        when duplicates.key_rank > 1 then 'duplicate_key'
        when offers.offer_id is null then 'unknown_offer'
        when
            impressions.impression_id is null
            or impressions.customer_id != typed.customer_id
            or impressions.offer_id != typed.offer_id
            then 'no_matching_impression'
        when impressions.is_control then 'redeemed_by_control_group'
        when typed.redemption_date not between offers.start_date and offers.end_date
            then 'outside_offer_window'
        when backing_lines.order_id is null or backing_lines.order_date != typed.redemption_date
            then 'no_backing_order_line'
        when typed.discount_amount is null or typed.discount_amount < 0 then 'negative_discount'
    end as rejection_reason
from typed
left join duplicates
    on typed.source_file = duplicates.source_file and typed.file_row_number = duplicates.file_row_number
left join impressions on typed.impression_id = impressions.impression_id
left join offers on typed.offer_id = offers.offer_id
left join backing_lines
    on
        typed.order_id = backing_lines.order_id
        and typed.product_id = backing_lines.product_id
        and typed.offer_id = backing_lines.offer_id
