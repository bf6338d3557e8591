"""PSI of today's candidate features against the live ranker's reference (logic:
metro_offers.drift), on a deterministic sample of at most var drift_sample_rows candidates.
Runs before scoring, so ranker_scores can retrain on drift."""

from pathlib import Path

from metro_offers.drift import drift_report
from metro_offers.ranking import CANDIDATE_COLUMNS, candidate_sample, live_reference


def model(dbt, session):
    dbt.config(materialized="table")
    settings = dbt.config.get("meta")
    reference, model_version = live_reference(Path(settings["model_store_dir"]))
    candidates = dbt.ref("candidate_features").filter("pool = 'serving'").project(", ".join(CANDIDATE_COLUMNS))
    sample = candidate_sample(candidates, int(settings["drift_sample_rows"]))
    return drift_report(sample, reference, model_version, settings)
