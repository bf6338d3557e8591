-- How a customer buys, as of run_date: share of spend on private label and share of lines
-- bought with an offer, both inside the look-back window. Their mean is the customer's
-- observed price sensitivity in [0, 1].
select
    customer_id,
    sum(case when is_private_label then line_revenue else 0 end) / nullif(sum(line_revenue), 0)
        as private_label_spend_share,
    avg(case when is_promo_line then 1.0 else 0.0 end) as promo_line_share
from {{ ref('int_order_lines_as_of_run_date') }}
where order_date >= {{ lookback_start() }}
group by customer_id
