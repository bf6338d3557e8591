"""Every stored uplift learner's predictions for the impressions it is judged on
(uplift_examples, split evaluation): P(buy | shown), P(buy | not shown) and the uplift. On
the study schedule (metro_offers.studies): builds of the same period and learners reuse the
predictions of the period's first build, so the harness judges the same impressions."""

from pathlib import Path

import pandas as pd

from metro_offers.ranking.features import feature_matrix
from metro_offers.studies import scheduled, study_key
from metro_offers.uplift import store
from metro_offers.uplift.tables import typed_table

COLUMNS = {
    "impression_id": "int64",
    "learner": "string",
    "p_if_shown": "float64",
    "p_if_not_shown": "float64",
    "uplift": "float64",
}


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    registry = dbt.ref("uplift_training").df()
    if registry.empty:
        return typed_table(None, COLUMNS)
    model_store = Path(meta["model_store_dir"])

    def predict() -> dict[str, pd.DataFrame]:
        learners, features = store.registered_learners(model_store, registry)
        rows = dbt.ref("uplift_examples").filter("split = 'evaluation'").df()
        if rows.empty:
            return {"scores": pd.DataFrame(columns=list(COLUMNS))}
        parts = []
        for name, learner in learners.items():
            predicted = learner.predict(feature_matrix(rows, features))
            parts.append(predicted.assign(impression_id=rows.impression_id.to_numpy(), learner=name))
        return {"scores": pd.concat(parts, ignore_index=True)[list(COLUMNS)]}

    key = study_key(meta, **store.study_parts(registry))
    return typed_table(scheduled(model_store, "uplift_scores", key, predict)["scores"], COLUMNS)
