{{ config(materialized='view') }}
-- The point-in-time gate: order lines strictly before run_date. Every customer feature reads
-- its purchase history through this view and nothing else.
select *  -- noqa: AM04
from {{ ref('int_order_lines_enriched') }}
where order_date < {{ run_date() }}
