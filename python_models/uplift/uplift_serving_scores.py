"""The serving learner's (uplift_training's is_serving, from var uplift_serving_learner)
P(buy | shown), P(buy | not shown) and uplift for every candidate of the serving pool, in
batches so memory stays flat as the pool grows. Empty when uplift was not estimated."""

from pathlib import Path

from metro_offers.arrow_tables import typed_batches, typed_table
from metro_offers.pools import SERVING_POOL
from metro_offers.ranking.features import feature_matrix
from metro_offers.ranking.scoring import SCORING_BATCH_ROWS
from metro_offers.uplift import store

COLUMNS = {
    "customer_id": "int64",
    "offer_id": "int64",
    **store.PREDICTION_COLUMNS,
}


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    registry = dbt.ref("uplift_training").df()
    if registry.empty:
        return typed_table(None, COLUMNS)
    name = store.serving_name(registry)
    learners, features = store.registered_learners(Path(meta["model_store_dir"]), registry)
    learner = learners[name]
    candidates = dbt.ref("candidate_features").filter(f"pool = '{SERVING_POOL}'")
    candidates = candidates.project(", ".join(dict.fromkeys(["customer_id", "offer_id", *features])))

    def scored():
        for batch in candidates.fetch_arrow_reader(SCORING_BATCH_ROWS):
            frame = batch.to_pandas()
            predicted = learner.predict(feature_matrix(frame, features))
            yield predicted.assign(
                customer_id=frame.customer_id.to_numpy(), offer_id=frame.offer_id.to_numpy(), learner=name
            )

    return typed_batches(scored(), COLUMNS)
