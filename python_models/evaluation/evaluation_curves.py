"""ROC and precision-recall curves of the live ranker's evaluation, stored by
evaluation_metrics (logic: metro_offers.evaluation)."""

from pathlib import Path

from metro_offers.evaluation import evaluation_settings, stored_curves


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    dbt.ref("evaluation_metrics")  # which stores the curves
    external = dbt.ref("int_evaluation_external_scores").df()
    return stored_curves(Path(meta["model_store_dir"]), evaluation_settings(meta), external)
