"""Repeat and explore together: the customer's own purchase frequency (what P-TopFreq ranks
by: repeat items carry most of a grocery basket) mixed with SASRec's next-basket probability
(which also reaches products never bought), with the mixing weight tuned on SASRec's
validation task.

score(c, p) = w x share of c's baskets that held p + (1 - w) x mean size of c's baskets x
P_SASRec(p | c). Both terms estimate how many times p is in the next basket, so w is a
plain trade-off: w = 1 is P-TopFreq (ties by SASRec), w = 0 SASRec alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from scipy import sparse

from metro_offers.next_basket.sasrec import VALIDATION_K, Sasrec, TrainingData, recall_ndcg, top_k_frame
from metro_offers.next_basket.sequences import Sequences

WEIGHT_GRID = tuple(round(w, 1) for w in np.linspace(0.0, 1.0, 11))


@dataclass(frozen=True)
class PersonalFrequency:
    """Per customer (rows in ``customers`` order): the share of its baskets holding each
    catalogue product (CSR, customers x products) and its mean basket size (distinct
    catalogue products)."""

    customers: np.ndarray
    share: sparse.csr_matrix
    basket_size: np.ndarray

    @classmethod
    def of(cls, history: pd.DataFrame, customers: np.ndarray, products: np.ndarray) -> PersonalFrequency:
        with duckdb.connect() as con:  # half the time of the same in pandas at the default scale
            con.register("history", history[["customer_id", "basket_id", "product_id"]])
            con.register("wanted", pd.DataFrame({"customer_id": customers}))
            con.register("catalogue", pd.DataFrame({"product_id": products}))
            counts = con.sql(
                """
                with lines as (
                    select distinct customer_id, basket_id, product_id
                    from history
                    where customer_id in (select customer_id from wanted)
                        and product_id in (select product_id from catalogue)
                ),
                baskets as (select customer_id, count(distinct basket_id) as n from lines group by customer_id)
                select customer_id, product_id, count(*) / any_value(baskets.n) as share
                from lines inner join baskets using (customer_id)
                group by customer_id, product_id
                """
            ).df()
        row = np.searchsorted(customers, counts.customer_id.to_numpy())
        column = np.searchsorted(products, counts.product_id.to_numpy())
        share = sparse.csr_matrix((counts.share.to_numpy(), (row, column)), shape=(len(customers), len(products)))
        size = np.asarray(share.sum(axis=1)).ravel()  # = line count / baskets
        return cls(customers, share, size)


EXPLORE_ONLY = "explore_only"


def mixed_top_k(
    model: Sasrec, sequences: Sequences, history: pd.DataFrame, weights, k: int, explore_only: bool = False
) -> dict:
    """For each mixing weight, every customer's top k (customer_id, product_id, rank); with
    ``explore_only`` also SASRec's top k among the products the customer never bought (key
    EXPLORE_ONLY): what it knows about new products, beside popularity's explore list."""
    frequency = PersonalFrequency.of(history, sequences.customers, model.products)
    weights = list(dict.fromkeys(weights))  # a weight asked twice (e.g. the tuned one is 0) ranks once
    parts = {w: [] for w in [*weights, *([EXPLORE_ONLY] if explore_only else [])]}
    start = 0
    for ids, probability in model.probabilities(sequences):
        rows = slice(start, start + len(ids))
        start += len(ids)
        share = frequency.share[rows].toarray()
        explore = frequency.basket_size[rows, None] * probability
        for w in weights:
            parts[w].append(top_k_frame(ids, w * share + (1 - w) * explore, model.products, k))
        if explore_only:
            parts[EXPLORE_ONLY].append(top_k_frame(ids, np.where(share > 0, -np.inf, probability), model.products, k))
    return {w: pd.concat(frames, ignore_index=True) for w, frames in parts.items()}


@dataclass(frozen=True)
class MixTuning:
    weight: float
    grid: list[dict]  # weight, valid_recall_at_10, valid_ndcg_at_10


def tune_weight(model: Sasrec, data: TrainingData) -> MixTuning:
    """The weight of WEIGHT_GRID with the best validation NDCG@10 (ties: the smaller weight)."""
    lists = mixed_top_k(model, data.valid, data.valid_history, WEIGHT_GRID, VALIDATION_K)
    grid = []
    for w, ranked in lists.items():
        recall, ndcg = recall_ndcg(ranked, data.valid_targets, VALIDATION_K)
        grid.append({"weight": w, "valid_recall_at_10": round(recall, 5), "valid_ndcg_at_10": round(ndcg, 5)})
    best = max(grid, key=lambda r: (r["valid_ndcg_at_10"], -r["weight"]))
    return MixTuning(best["weight"], grid)
