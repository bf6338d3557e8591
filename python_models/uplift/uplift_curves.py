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
    truth_dir = Path(meta["truth_root"])  # truth_columns finds none where it does not exist
    rows, scores = targeting_inputs(dbt.ref("uplift_examples"), predictions, truth_dir, int(meta["seed"]))
    return typed_table(qini_curves(rows, scores, int(meta["seed"])), COLUMNS)
