"""Every next-basket method by name, so the benchmark and the dbt models rank the same way.

``rank(task, methods, k, vars)`` returns each method's top-k lists (customer_id, product_id,
rank) for the task's customers, plus what the trained methods learnt (SASRec's training
history and the mixing weight). SASRec trains on the task's history before its cutoff (its
validation slice is the last var sasrec_validation_days days of it), so no method sees the
judged baskets.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd

from metro_offers.next_basket import baselines
from metro_offers.next_basket.repeat_explore import EXPLORE_ONLY, mixed_top_k, tune_weight
from metro_offers.next_basket.sasrec import Sasrec, SasrecSettings, training_data
from metro_offers.next_basket.task import NextBasketTask

# each baseline: (task, k, popularity window in days) -> lists
BASELINES = {
    "popularity": baselines.popularity,
    "p_topfreq": baselines.p_topfreq,
    "gp_topfreq": baselines.gp_topfreq,
    "tifu_knn": lambda task, k, _: baselines.tifu_knn(task, k, baselines.TifuKnnSettings()),
    "popularity_explore": baselines.popularity_explore,
}
SEQUENTIAL = ("sasrec", "sasrec_frequency_mix", "sasrec_explore")
METHODS = (*BASELINES, *SEQUENTIAL)
LABELS = {
    "popularity": "Popularity",
    "p_topfreq": "P-TopFreq",
    "gp_topfreq": "GP-TopFreq",
    "tifu_knn": "TIFU-KNN",
    "sasrec": "SASRec",
    "sasrec_frequency_mix": "SASRec + own frequency (mix tuned on validation)",
    "popularity_explore": "Popularity, new products only",
    "sasrec_explore": "SASRec, new products only",
}


@dataclass
class Ranked:
    lists: dict[str, pd.DataFrame]
    seconds: dict[str, float]
    model: Sasrec | None = None
    mix_weight: float | None = None
    mix_grid: list[dict] = field(default_factory=list)
    training_seconds: float | None = None


def rank(
    task: NextBasketTask, methods: list[str], k: int, popularity_days: int, settings: SasrecSettings, echo=print
) -> Ranked:
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown next-basket methods {unknown}; known: {list(METHODS)}")
    result = Ranked({}, {})
    for method in (m for m in methods if m in BASELINES):
        started = time.perf_counter()
        result.lists[method] = BASELINES[method](task, k, popularity_days)
        result.seconds[method] = round(time.perf_counter() - started, 1)
        echo(f"[next basket] {method}: {result.seconds[method]} s")
    if any(m in SEQUENTIAL for m in methods):
        started = time.perf_counter()
        data = training_data(task.popularity_lines, task.cutoff, settings)
        model = Sasrec.fit(data, settings, echo=echo)
        tuning = tune_weight(model, data)
        result.training_seconds = round(time.perf_counter() - started, 1)
        echo(f"[next basket] SASRec trained in {result.training_seconds} s; mixing weight {tuning.weight}")
        started = time.perf_counter()
        sequences = model.sequences(task.history)
        explore = "sasrec_explore" in methods
        mixed = mixed_top_k(model, sequences, task.history, [0.0, tuning.weight], k, explore_only=explore)
        seconds = round(time.perf_counter() - started, 1)
        # weight 0 is SASRec's own probability ranking
        for method, key in (("sasrec", 0.0), ("sasrec_frequency_mix", tuning.weight), ("sasrec_explore", EXPLORE_ONLY)):
            if method in methods:
                result.lists[method] = mixed[key]
                result.seconds[method] = seconds
        echo(f"[next basket] SASRec scored {len(sequences.customers):,} customers in {seconds} s")
        result.model, result.mix_weight, result.mix_grid = model, tuning.weight, tuning.grid
    return result
