"""Each method's Qini curve on the randomised impressions after the cutoff, at 101 shares of
the population (logic: metro_offers.uplift.evaluation.qini_curves), for the dashboard:
computed and stored by uplift_metrics (the same study, metro_offers.studies)."""

from pathlib import Path

from metro_offers.arrow_tables import typed_table
from metro_offers.studies import stored_result
from metro_offers.uplift import store

COLUMNS = {"method": "string", "population_share": "float64", "qini": "float64"}


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    dbt.ref("uplift_metrics")  # which stores the curves
    registry = dbt.ref("uplift_training").df()
    if registry.empty:
        return typed_table(None, COLUMNS)
    model_store = Path(meta["model_store_dir"])
    stored = stored_result(model_store, store.HARNESS_STUDY, store.harness_key(meta, registry, model_store))
    return typed_table(stored["curves"] if stored else None, COLUMNS)
