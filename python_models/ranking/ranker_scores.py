"""Scores every candidate of the serving pool with the registered ranker, training one first
when no model is registered, drift recommends it, or var force_retrain is true (logic:
metro_offers.ranking). Candidates are read and scored in batches, so memory stays flat as the
pool grows; a newly trained model keeps a sample of them as its drift reference."""

import datetime as dt
from pathlib import Path

from metro_offers.ranking import (
    CANDIDATE_COLUMNS,
    EXAMPLE_COLUMNS,
    SCORING_BATCH_ROWS,
    candidate_sample,
    ranker_scores,
)


def model(dbt, session):
    dbt.config(materialized="table")
    settings = dbt.config.get("meta")
    candidates = dbt.ref("candidate_features").filter("pool = 'serving'").project(", ".join(CANDIDATE_COLUMNS))

    def batches():
        # opened only when scoring starts: DuckDB runs no other query on the connection meanwhile
        for batch in candidates.fetch_arrow_reader(SCORING_BATCH_ROWS):
            yield batch.to_pandas()

    return ranker_scores(
        candidates=batches(),
        reference=candidate_sample(candidates, int(settings["drift_sample_rows"])),
        examples=dbt.ref("training_examples").project(", ".join(EXAMPLE_COLUMNS)).df(),
        run_date=dt.date.fromisoformat(settings["run_date"]),
        store=Path(settings["model_store_dir"]),
        force=str(settings["force_retrain"]).lower() == "true",
        drift=dbt.ref("feature_drift").df(),
        reference_bins=int(settings["psi_bins"]),
    )
