"""Next-basket evaluation: each method's lists against the first basket on or after the
cutoff, Recall@k, NDCG@k and hit rate@k with bootstrap intervals, overall and for repeat and
explore items (logic: metro_offers.next_basket.harness)."""

import pandas as pd

from metro_offers.next_basket.harness import evaluate
from metro_offers.next_basket.task import NextBasketTask, warehouse_lines


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    lists = dbt.ref("next_basket_lists").df()
    columns = ["method", "subset", "metric", "value", "ci_low", "ci_high", "customers"]
    if lists.empty:
        return lists.assign(**{c: [] for c in columns})[columns + ["cutoff"]]
    cutoff = pd.Timestamp(lists.cutoff.iloc[0])
    lines = warehouse_lines(dbt.ref("int_order_lines_enriched"), meta["run_date"])
    task = NextBasketTask.from_lines(lines, cutoff)
    by_method = {m: frame[["customer_id", "product_id", "rank"]] for m, frame in lists.groupby("method")}
    result = evaluate(task, by_method, int(meta["k"]), int(meta["bootstrap_samples"]), int(meta["seed"]))
    return result[columns].assign(cutoff=cutoff.date())
