{{ config(
    materialized='incremental',
    unique_key=['run_date', 'feature'],
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}
-- One row per ranker feature per run date: PSI against the live model's reference, severity
-- and the retrain decision. Incremental: a build adds (or replaces) its run date's rows and
-- keeps every earlier day's. (Before the first model the Python output is empty and untyped,
-- hence the casts.)
select
    cast(run_date as date) as run_date,
    cast(model_version as varchar) as model_version,
    cast(feature as varchar) as feature,
    cast(feature_kind as varchar) as feature_kind,
    cast(psi as double) as psi,
    cast(severity as varchar) as severity,
    cast(retrain_recommended as boolean) as retrain_recommended
from {{ ref('feature_drift') }}
