"""Next-basket evaluation: each method's lists against the first basket on or after the
cutoff, Recall@k, NDCG@k and hit rate@k with bootstrap intervals, overall and for repeat and
explore items (logic: metro_offers.next_basket.harness). On the study schedule
(metro_offers.studies): builds of the same period and lists reuse the period's first result."""

from pathlib import Path

import pandas as pd

from metro_offers.next_basket.harness import evaluate
from metro_offers.next_basket.task import NextBasketTask, warehouse_lines
from metro_offers.studies import scheduled, study_key

COLUMNS = ["method", "subset", "metric", "value", "ci_low", "ci_high", "customers"]


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    lists = dbt.ref("next_basket_lists").df()
    if lists.empty:
        return lists.assign(**{c: [] for c in COLUMNS})[COLUMNS + ["cutoff"]]
    cutoff = pd.Timestamp(lists.cutoff.iloc[0])

    def judge() -> dict[str, pd.DataFrame]:
        lines = warehouse_lines(
            dbt.ref("int_order_lines_enriched"), meta["run_date"], cutoff.date(), int(meta["next_basket_customers"])
        )
        task = NextBasketTask.from_lines(lines, cutoff)
        by_method = {m: frame[["customer_id", "product_id", "rank"]] for m, frame in lists.groupby("method")}
        result = evaluate(task, by_method, int(meta["k"]), int(meta["bootstrap_samples"]), int(meta["seed"]))
        return {"metrics": result[COLUMNS].assign(cutoff=cutoff.date())}

    key = study_key(
        meta,
        cutoff=str(cutoff.date()),
        lists=str(pd.util.hash_pandas_object(lists, index=False).sum()),
        settings={name: int(meta[name]) for name in ("k", "bootstrap_samples", "seed", "next_basket_customers")},
    )
    return scheduled(Path(meta["model_store_dir"]), "next_basket_harness", key, judge)["metrics"]
