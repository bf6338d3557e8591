-- The off-policy study: each estimator's estimates of each target policy's value (mean
-- redemptions per decision) over replicated exploration-slice logs, against the true value.
select
    target_policy,
    estimator,
    logging_policy,
    true_value,
    mean_estimate,
    relative_bias,
    relative_rmse,
    share_within_10pct,
    interval_coverage,
    mean_interval_width,
    mean_rows_used,
    replicates,
    log_rows
from {{ ref('bandit_ope_runs') }}
