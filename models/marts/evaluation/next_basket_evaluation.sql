-- Next-basket recommendation judged by full ranking: one row per (method, subset, metric)
-- with its bootstrap 95% interval. The contracted face of the next_basket_metrics Python model.
select
    cast(cutoff as date) as cutoff,
    method,
    subset,
    metric,
    cast(value as double) as metric_value,
    cast(ci_low as double) as ci_low,
    cast(ci_high as double) as ci_high,
    cast(customers as bigint) as customers
from {{ ref('next_basket_metrics') }}
