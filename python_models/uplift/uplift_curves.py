"""Each method's Qini curve on the randomised impressions after the cutoff, at 101 shares of
the population (logic: metro_offers.uplift.evaluation.qini_curves), for the dashboard."""

from pathlib import Path

import pandas as pd

from metro_offers.uplift.evaluation import qini_curves, targeting_inputs

COLUMNS = {"method": "object", "population_share": "float64", "qini": "float64"}


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    predictions = dbt.ref("uplift_scores").df()
    if predictions.empty:
        return pd.DataFrame({c: [] for c in COLUMNS}).astype(COLUMNS)
    truth_dir = Path(meta["truth_root"])
    rows = dbt.ref("uplift_examples").filter("split = 'evaluation'")
    rows = rows.project("impression_id, customer_id, offer_id, shown, bought_offer_products").df()
    rows, scores = targeting_inputs(rows, predictions, truth_dir if truth_dir.exists() else None, int(meta["seed"]))
    return qini_curves(rows, scores, int(meta["seed"]))[list(COLUMNS)].astype(COLUMNS)
