{{ config(materialized='view') }}
-- Customers whose card existed before run_date: the population features and candidates cover.
select
    customer_id,
    segment,
    signup_date
from {{ ref('stg_metro__customers') }}
where signup_date < {{ run_date() }}
