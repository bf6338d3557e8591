"""Each method's Qini curve on the randomised impressions after the cutoff, at 101 shares of
the population (logic: metro_offers.uplift.evaluation.qini_curves), for the dashboard."""

from pathlib import Path

from metro_offers.uplift.evaluation import qini_curves, targeting_inputs
from metro_offers.uplift.tables import typed_table

COLUMNS = {"method": "string", "population_share": "float64", "qini": "float64"}


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    predictions = dbt.ref("uplift_scores").df()
    if predictions.empty:
        return typed_table(None, COLUMNS)
    truth_dir = Path(meta["truth_root"])
    rows = dbt.ref("uplift_examples").filter("split = 'evaluation'")
    rows = rows.project("impression_id, customer_id, offer_id, shown, bought_offer_products").df()
    rows, scores = targeting_inputs(rows, predictions, truth_dir if truth_dir.exists() else None, int(meta["seed"]))
    return typed_table(qini_curves(rows, scores, int(meta["seed"])), COLUMNS)
