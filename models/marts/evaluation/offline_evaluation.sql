-- Offline evaluation of the live ranker against the baselines and the oracle, as of the
-- evaluation cutoff: one row per (method, subset, metric) with its bootstrap 95% interval.
-- The contracted face of the evaluation_metrics Python model (NaN, e.g. an AUC without both
-- classes, becomes null).
select
    model_version,
    cast(run_date as date) as run_date,
    cast(evaluation_cutoff as date) as evaluation_cutoff,
    method,
    subset,
    metric,
    case when isnan(value) then null else cast(value as double) end as metric_value,
    case when isnan(ci_low) then null else cast(ci_low as double) end as ci_low,
    case when isnan(ci_high) then null else cast(ci_high as double) end as ci_high,
    cast(customers as bigint) as customers,
    case
        when isnan(validation_ndcg_at_10) then null else cast(validation_ndcg_at_10 as double)
    end as validation_ndcg_at_10
from {{ ref('evaluation_metrics') }}
