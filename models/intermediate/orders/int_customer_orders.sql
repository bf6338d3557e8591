-- One row per accepted order with its value and basket mix: the order-level history the
-- as-of customer features aggregate.
select
    customer_id,
    order_id,
    order_date,
    sum(line_revenue) as order_value,
    sum(case when is_private_label then line_revenue else 0 end) as private_label_value,
    count(*) as order_lines,
    count(case when is_promo_line then 1 end) as promo_lines
from {{ ref('int_order_lines_enriched') }}
group by customer_id, order_id, order_date
