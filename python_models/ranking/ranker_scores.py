"""Scores every candidate of the serving pool with the live ranker that ranker_training
registered or kept (logic: metro_offers.ranking.scoring): a learned ranker, or the baseline
that beat them on validation. Candidates are read and scored in batches, so memory stays
flat as the pool grows."""

from pathlib import Path

from metro_offers.arrow_tables import typed_batches
from metro_offers.pools import SERVING_POOL
from metro_offers.ranking.registry import live_entry
from metro_offers.ranking.scoring import SCORE_COLUMNS, SCORING_BATCH_ROWS, scored_batches


def model(dbt, session):
    dbt.config(materialized="table")
    settings = dbt.config.get("meta")
    dbt.ref("ranker_training")  # the model registered or kept by this build
    entry = live_entry(Path(settings["model_store_dir"]))
    columns = ["customer_id", "offer_id", *entry["features"]]
    candidates = dbt.ref("candidate_features").filter(f"pool = '{SERVING_POOL}'").project(", ".join(columns))

    def batches():
        # opened only when scoring starts: DuckDB runs no other query on the connection meanwhile
        for batch in candidates.fetch_arrow_reader(SCORING_BATCH_ROWS):
            yield batch.to_pandas()

    return typed_batches(scored_batches(batches(), entry), SCORE_COLUMNS)
