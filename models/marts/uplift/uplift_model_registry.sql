-- The uplift learners of this build's evaluation cutoff, one row per learner, with their
-- provenance (training window, rows, the landing's fingerprint, rounds, settings). Empty when
-- the impressions have no randomised control group (uplift is not estimated).
select
    model_version,
    learner,
    cast(trained_at as timestamp) as trained_at,
    cast(cutoff as date) as cutoff,
    cast(training_window_start as date) as training_window_start,
    cast(training_window_end as date) as training_window_end,
    cast(validation_start as date) as validation_start,
    training_rows,
    training_shown_rows,
    training_outcomes,
    shown_share,
    validation_rows,
    validation_qini,
    is_serving,
    rounds,
    settings,
    features,
    artifact_files,
    retrain_reason,
    data_fingerprint
from {{ ref('uplift_training') }}
