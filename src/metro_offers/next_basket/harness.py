"""Judging next-basket methods: each method's top-k lists against the first basket after the
cutoff, full ranking, Recall@k, NDCG@k and hit rate@k per customer, overall and for the
repeat and the explore target items, with bootstrap 95% intervals over customers (the same
resamples for every method, so differences between methods can be paired)."""

from __future__ import annotations

import pandas as pd

from metro_offers.metrics import list_metrics, mean_intervals, resample_weights
from metro_offers.next_basket.task import NextBasketTask

METRICS = ("recall", "ndcg", "hit_rate")
SUBSETS = {"all": None, "repeat": True, "explore": False}


def target_metrics(ranked: pd.DataFrame, targets: pd.DataFrame, k: int) -> pd.DataFrame:
    """One row per customer of ``targets`` (customer_id, product_id): its Recall@k, NDCG@k
    and hit rate@k for the ranked lists (a customer the method gave no list scores 0)."""
    hits = ranked.merge(targets.assign(relevant=True)[["customer_id", "product_id", "relevant"]], how="left")
    metrics = list_metrics(
        hits.customer_id.to_numpy(),
        hits["rank"].to_numpy(),
        hits.relevant.astype("boolean").fillna(False).to_numpy(bool),
        targets.groupby("customer_id").size(),
        k,
    )
    return metrics[list(METRICS)]


def per_customer(task: NextBasketTask, ranked: pd.DataFrame, k: int, subset: str) -> pd.DataFrame:
    """target_metrics of every judged customer with a target item in ``subset``."""
    targets = task.targets if SUBSETS[subset] is None else task.targets[task.targets.repeat == SUBSETS[subset]]
    return target_metrics(ranked, targets, k)


def evaluate(task: NextBasketTask, lists: dict[str, pd.DataFrame], k: int, samples: int, seed: int) -> pd.DataFrame:
    """method, subset, metric, value, ci_low, ci_high, customers for every method's lists."""
    rows = []
    for subset in SUBSETS:
        frames = {method: per_customer(task, ranked, k, subset) for method, ranked in lists.items()}
        customers = next(iter(frames.values())).index
        weights = resample_weights(len(customers), samples, seed)
        for method, frame in frames.items():
            intervals = mean_intervals(frame.reindex(customers), weights)
            rows += [
                {"method": method, "subset": subset, "metric": metric, **row.astype(float).to_dict()}
                | {"customers": len(customers)}
                for metric, row in intervals.iterrows()
            ]
    return pd.DataFrame(rows)
