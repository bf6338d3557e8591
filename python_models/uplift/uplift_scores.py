"""Every stored uplift learner's predictions for the impressions it is judged on
(uplift_examples, split evaluation): P(buy | shown), P(buy | not shown) and the uplift."""

from pathlib import Path

import pandas as pd

from metro_offers.ranking.features import feature_matrix
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
    learners, features = store.registered_learners(Path(meta["model_store_dir"]), registry)
    rows = dbt.ref("uplift_examples").filter("split = 'evaluation'").df()
    if rows.empty:
        return typed_table(None, COLUMNS)
    parts = []
    for name, learner in learners.items():
        predicted = learner.predict(feature_matrix(rows, features))
        parts.append(predicted.assign(impression_id=rows.impression_id.to_numpy(), learner=name))
    return typed_table(pd.concat(parts, ignore_index=True), COLUMNS)
