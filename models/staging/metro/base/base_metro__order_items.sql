-- Typed order lines with a rejection_reason per row (null = accepted).
-- Incremental (macros/staging_increments.sql): a run restages the lines of the batches landed
-- since its last run and every line of the orders those batches may change (touched_order_ids:
-- a line landed again, so the later copy wins; an order, customer, product or offer landed,
-- so a line's acceptance changes), with the earlier copies of those orders' lines as this
-- table holds them; rows of the other orders stay as they are. A daily run reads the new
-- batches' files only, not the whole history.
{{ config(**restaged_by_order_config()) }}
-- depends_on: {{ ref('base_metro__customers') }}

{%- set restaging = execute and is_incremental() and as_of_has_watermark([]) %}

with landed as (
    select * from {{ source('metro_raw', 'order_items') }}
    {%- if restaging %}
    -- the files of unseen batches (the source's own pattern): DuckDB reads no other file
    where filename in (
        select file from glob('{{ var("raw_root") }}/order_items/*.parquet')
        where {{ batch_unseen('file') }}
    )
    {%- endif %}
),

orders as (
    select order_id
    from {{ ref('base_metro__orders') }}
    where rejection_reason is null
),

products as (
    select product_id
    from {{ ref('base_metro__products') }}
    where rejection_reason is null
),

offers as (
    select offer_id
    from {{ ref('base_metro__offers') }}
    where rejection_reason is null
),

typed as (
    select
        cast(order_id as bigint) as order_id,
        cast(line_number as integer) as line_number,
        cast(product_id as bigint) as product_id,
        cast(quantity as integer) as quantity,
        cast(unit_price as double) as unit_price,
        cast(discount_amount as double) as discount_amount,
        cast(offer_id as bigint) as offer_id,
        filename as source_file,
        file_row_number
    from landed
),

staged as (
    select * from typed
    {%- if restaging %}
    union all
    -- the earlier copies as staged (the typed columns, in the same order)
    select * exclude (rejection_reason)
    from {{ this }}
    where order_id in ({{ touched_order_ids(landed_items='select order_id from typed', items=this) }})
    {%- endif %}
),

duplicates as (
    {{ duplicate_key_ranks('staged', ['order_id', 'line_number']) }}
)

select
    staged.*,
    case
        when staged.order_id is null or staged.line_number is null then 'null_key'
        when duplicates.key_rank > 1 then 'duplicate_key'
        when orders.order_id is null then 'unknown_order'
        when products.product_id is null then 'unknown_product'
        when staged.offer_id is not null and offers.offer_id is null then 'unknown_offer'
        when staged.quantity is null or staged.quantity <= 0 then 'non_positive_quantity'
        when staged.unit_price is null or staged.unit_price < 0 then 'negative_price'
        when staged.discount_amount is null or staged.discount_amount < 0 then 'negative_discount'
    end as rejection_reason
from staged
left join duplicates
    on staged.source_file = duplicates.source_file and staged.file_row_number = duplicates.file_row_number
left join orders on staged.order_id = orders.order_id
left join products on staged.product_id = products.product_id
left join offers on staged.offer_id = offers.offer_id
