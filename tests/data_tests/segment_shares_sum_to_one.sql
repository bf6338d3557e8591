-- The segments seed must describe the whole customer base: shares add up to 1.
select sum(customer_share) as total_share
from {{ ref('segments') }}
having abs(sum(customer_share) - 1) > 0.000001
