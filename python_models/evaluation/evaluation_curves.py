"""ROC and precision-recall curves of the live ranker's evaluation, saved by
evaluation_metrics (logic: metro_offers.evaluation)."""

from pathlib import Path

from metro_offers.evaluation import cached_curves, evaluation_settings


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    dbt.ref("evaluation_metrics")  # which writes the curves
    return cached_curves(Path(meta["model_store_dir"]), evaluation_settings(meta))
