"""Scores every candidate of the serving pool with the registered ranker, training one first when no
model is registered, drift recommends it, or var force_retrain is true (logic:
metro_offers.ranking)."""

import datetime as dt
from pathlib import Path

from metro_offers.ranking import CANDIDATE_COLUMNS, EXAMPLE_COLUMNS, ranker_scores


def model(dbt, session):
    dbt.config(materialized="table")
    settings = dbt.config.get("meta")
    return ranker_scores(
        candidates=dbt.ref("candidate_features").filter("pool = 'serving'").project(", ".join(CANDIDATE_COLUMNS)).df(),
        examples=dbt.ref("training_examples").project(", ".join(EXAMPLE_COLUMNS)).df(),
        run_date=dt.date.fromisoformat(settings["run_date"]),
        store=Path(settings["model_store_dir"]),
        force=str(settings["force_retrain"]).lower() == "true",
        drift=dbt.ref("feature_drift").df(),
        reference_bins=int(settings["psi_bins"]),
    )
