"""The model registry as a table: one row per trained ranker (logic: metro_offers.ranking)."""

from pathlib import Path

from metro_offers.ranking import registry_frame


def model(dbt, session):
    dbt.config(materialized="table")
    settings = dbt.config.get("meta")
    dbt.ref("ranker_scores")  # read the registry after this build's scoring (and training)
    return registry_frame(Path(settings["model_store_dir"]))
