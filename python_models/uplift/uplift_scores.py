"""Every stored uplift learner's predictions for the impressions it is judged on
(uplift_examples, split evaluation; a sample of whole customers holding about var
uplift_evaluation_impressions when it holds more, so the harness's cost stops growing with
the customer base): P(buy | shown), P(buy | not shown) and the uplift. On
the study schedule (metro_offers.studies): builds of the same period and learners reuse the
predictions of the period's first build, so the harness judges the same impressions."""

from pathlib import Path

import pandas as pd

from metro_offers.arrow_tables import typed_table
from metro_offers.hash_sample import hash_sample
from metro_offers.ranking.features import feature_matrix
from metro_offers.studies import scheduled, study_key
from metro_offers.uplift import store

COLUMNS = {
    "impression_id": "int64",
    **store.PREDICTION_COLUMNS,
}


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    registry = dbt.ref("uplift_training").df()
    if registry.empty:
        return typed_table(None, COLUMNS)
    model_store = Path(meta["model_store_dir"])
    sample_size = int(meta["uplift_evaluation_impressions"])

    def predict() -> dict[str, pd.DataFrame]:
        learners, features = store.registered_learners(model_store, registry)
        evaluation = dbt.ref("uplift_examples").filter("split = 'evaluation'")
        rows = hash_sample(evaluation, sample_size, "customer_id").df()
        print(f"[uplift] predicting {len(rows):,} evaluation impressions (sample: about {sample_size:,} at most)")
        if rows.empty:
            return {"scores": pd.DataFrame(columns=list(COLUMNS))}
        parts = []
        for name, learner in learners.items():
            predicted = learner.predict(feature_matrix(rows, features))
            parts.append(predicted.assign(impression_id=rows.impression_id.to_numpy(), learner=name))
        return {"scores": pd.concat(parts, ignore_index=True)[list(COLUMNS)]}

    key = study_key(meta, **store.study_parts(registry), evaluation_impressions=sample_size)
    return typed_table(scheduled(model_store, "uplift_scores", key, predict)["scores"], COLUMNS)
