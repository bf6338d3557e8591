-- Every ranker trained so far, newest last: what it learned from (pools, windows, the
-- landing's fingerprint and row counts), every ranker's validation NDCG@10 and AUC (the
-- comparison behind each decision), the chosen ranker - learned or a baseline - and its
-- artifact. is_live marks the model that scored this build's recommendations.
with live as (
    select distinct model_version from {{ ref('ranker_scores') }}
)

select
    registry.model_version,
    cast(registry.trained_at as timestamp) as trained_at,
    cast(registry.run_date as date) as trained_for_run_date,
    cast(registry.training_pools as json) as training_pools,
    cast(registry.training_window_start as date) as training_window_start,
    cast(registry.training_window_end as date) as training_window_end,
    cast(registry.training_rows as bigint) as training_rows,
    cast(registry.training_positives as bigint) as training_positives,
    cast(registry.validation_rows as bigint) as validation_rows,
    cast(registry.features as json) as features,
    cast(registry.parameters as json) as model_parameters,
    cast(registry.training_history as json) as training_history,
    cast(registry.validation as json) as validation_comparison,
    registry.chosen_model,
    cast(registry.chosen_is_learned as boolean) as chosen_is_learned,
    registry.best_baseline,
    -- null, not NaN, for entries of an older model store that did not record them
    case
        when isnan(registry.validation_ndcg_chosen) then null else cast(registry.validation_ndcg_chosen as double)
    end as validation_ndcg_chosen,
    case
        when isnan(registry.validation_ndcg_best_baseline) then null
        else cast(registry.validation_ndcg_best_baseline as double)
    end as validation_ndcg_best_baseline,
    cast(registry.calibration as json) as calibration,
    registry.artifact_path,
    registry.retrain_reason,
    registry.data_fingerprint,
    cast(registry.landing_row_counts as json) as landing_row_counts,
    live.model_version is not null as is_live
from {{ ref('ranker_training') }} as registry
left join live on registry.model_version = live.model_version
