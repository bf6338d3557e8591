"""PSI of today's candidate features against the live ranker's reference (logic:
metro_offers.drift), on a deterministic sample of at most var drift_sample_rows candidates.
Runs before training, so ranker_training can retrain on drift."""

from pathlib import Path

from metro_offers.drift import drift_report
from metro_offers.pools import SERVING_POOL
from metro_offers.ranking.registry import live_reference
from metro_offers.ranking.scoring import candidate_sample


def model(dbt, session):
    dbt.config(materialized="table")
    settings = dbt.config.get("meta")
    reference, model_version = live_reference(Path(settings["model_store_dir"]))
    candidates = dbt.ref("candidate_features").filter(f"pool = '{SERVING_POOL}'")
    if reference is not None:
        candidates = candidates.project(", ".join(["customer_id", "offer_id", *reference]))
    sample = candidate_sample(candidates, int(settings["drift_sample_rows"])) if reference is not None else None
    return drift_report(sample if sample is not None else candidates.limit(0).df(), reference, model_version, settings)
