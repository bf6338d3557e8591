-- Every ranker trained so far, newest last: training window, features, parameters, both
-- candidates' validation AUC, the chosen model and its artifact. is_live marks the model
-- that scored this build's recommendations.
with live as (
    select distinct model_version from {{ ref('ranker_scores') }}
)

select
    registry.model_version,
    cast(registry.trained_at as timestamp) as trained_at,
    cast(registry.run_date as date) as trained_for_run_date,
    cast(registry.training_window_start as date) as training_window_start,
    cast(registry.training_window_end as date) as training_window_end,
    cast(registry.training_rows as bigint) as training_rows,
    cast(registry.training_positives as bigint) as training_positives,
    cast(registry.validation_rows as bigint) as validation_rows,
    cast(registry.features as json) as features,
    cast(registry.parameters as json) as model_parameters,
    cast(registry.validation_auc_logistic_regression as double) as validation_auc_logistic_regression,
    cast(registry.validation_auc_lightgbm as double) as validation_auc_lightgbm,
    registry.chosen_model,
    registry.artifact_path,
    registry.retrain_reason,
    cast(registry.negative_keep_rate as double) as negative_keep_rate,
    live.model_version is not null as is_live
from {{ ref('ranker_registry') }} as registry
left join live on registry.model_version = live.model_version
