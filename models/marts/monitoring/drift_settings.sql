-- The drift settings this build judged by - vars psi_bins, psi_floor, psi_warn, psi_alert and
-- retrain_min_alert_features, overrides included - so readers of the snapshot (the dashboard's
-- drift view) draw the lines the build used, not dbt_project.yml's defaults.
select
    {{ run_date() }} as run_date,
    cast({{ var('psi_bins') }} as integer) as psi_bins,
    cast({{ var('psi_floor') }} as double) as psi_floor,
    cast({{ var('psi_warn') }} as double) as psi_warn,
    cast({{ var('psi_alert') }} as double) as psi_alert,
    cast({{ var('retrain_min_alert_features') }} as integer) as retrain_min_alert_features
