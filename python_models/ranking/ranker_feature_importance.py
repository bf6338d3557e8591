"""The live ranker's importance per feature (logic: metro_offers.ranking.registry.feature_importance)."""

from pathlib import Path

from metro_offers.ranking.registry import feature_importance


def model(dbt, session):
    dbt.config(materialized="table")
    settings = dbt.config.get("meta")
    dbt.ref("ranker_scores")  # the model this build scored with
    return feature_importance(Path(settings["model_store_dir"]))
