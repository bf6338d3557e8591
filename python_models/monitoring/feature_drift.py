"""PSI of today's candidate features against the live ranker's reference (logic:
metro_offers.drift). Runs before scoring, so ranker_scores can retrain on drift."""

from pathlib import Path

from metro_offers.drift import drift_report
from metro_offers.ranking import FEATURES, live_reference


def model(dbt, session):
    dbt.config(materialized="table")
    settings = dbt.config.get("meta")
    reference, model_version = live_reference(Path(settings["model_store_dir"]))
    candidates = dbt.ref("candidate_features").filter("pool = 'serving'").project(", ".join(FEATURES))
    return drift_report(candidates.df(), reference, model_version, settings)
