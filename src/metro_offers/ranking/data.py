"""Ranking data: rows grouped into lists (one per pool and customer), with their labels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from metro_offers.hash_sample import residue_classes
from metro_offers.metrics import auc, mean_ndcg
from metro_offers.pools import EVALUATION_POOL
from metro_offers.ranking.features import feature_matrix


@dataclass
class RankingData:
    """Rows of lists to rank: the feature matrix, the label, the list (group) of each row
    (rows of a list are contiguous), the offer id (ties) and, per list, how many relevant
    items it has in all (also those retrieval missed)."""

    x: pd.DataFrame
    label: np.ndarray
    group: np.ndarray
    offer: np.ndarray
    n_relevant: pd.Series

    @classmethod
    def from_pool_examples(cls, frame: pd.DataFrame, features=None) -> RankingData:
        """From rows of pool_examples (or any frame with pool, customer_id, offer_id, the
        features, redeemed_in_window and relevant_offers); a list is (pool, customer)."""
        frame = frame.sort_values(["pool", "customer_id", "offer_id"], kind="stable").reset_index(drop=True)
        group = frame.groupby(["pool", "customer_id"], sort=False).ngroup().to_numpy(dtype=np.int64)
        return cls(
            x=feature_matrix(frame, features),
            label=frame["redeemed_in_window"].to_numpy(dtype=bool),
            group=group,
            offer=frame["offer_id"].to_numpy(dtype=np.int64),
            n_relevant=pd.Series(frame["relevant_offers"].to_numpy(), index=group).groupby(level=0).first(),
        )

    def __len__(self) -> int:
        return len(self.label)

    @property
    def group_sizes(self) -> np.ndarray:
        """Rows per list, in row order (LightGBM's query sizes)."""
        starts = np.r_[0, np.flatnonzero(np.diff(self.group)) + 1]
        return np.diff(np.r_[starts, len(self.group)])

    def lists_with_positives(self) -> RankingData:
        """Only the lists with a relevant item among their rows (the others teach a ranking
        loss nothing)."""
        has = pd.Series(self.label).groupby(self.group).transform("any").to_numpy(dtype=bool)
        return self.subset(has)

    def subset(self, rows: np.ndarray) -> RankingData:
        rows = np.asarray(rows, dtype=bool)
        groups = np.unique(self.group[rows])
        return RankingData(
            self.x[rows].reset_index(drop=True),
            self.label[rows],
            self.group[rows],
            self.offer[rows],
            self.n_relevant.loc[groups],
        )

    def ndcg(self, score: np.ndarray, k: int) -> float:
        """Mean NDCG@k of ranking each list by ``score`` (ties by offer id)."""
        return mean_ndcg(self.group, score, self.label, self.n_relevant, self.offer, k)

    def auc(self, score: np.ndarray) -> float:
        return auc(self.label, score)


def sample_training_lists(relation, max_lists_per_pool: int):
    """The rows of pool_examples (a DuckDB relation) the rankers learn from: every row of the
    evaluation pool, and of each training pool a deterministic sample of about
    ``max_lists_per_pool`` lists (customers whose id hashes into one residue class). On the
    default data a third of the lists loses under 0.003 NDCG@10 and saves two thirds of the
    training time (bench/ranker_training_choice.py)."""
    counts = relation.filter("pool like 'training_%'").aggregate("pool, count(distinct customer_id)", "pool").fetchall()
    largest = max((n for _, n in counts), default=0)
    step = residue_classes(largest, max_lists_per_pool)
    return relation.filter(f"pool not like 'training_%' or hash(customer_id) % {step} = 0")


def sample_evaluation_lists(relation, max_customers: int):
    """pool_examples (a DuckDB relation) with the evaluation pool cut to the full lists of
    about ``max_customers`` customers (a hash residue class of the id) when it holds more; the
    other pools as they are. Whole lists, so each sampled customer is still ranked over their
    full eligible set."""
    evaluation = relation.filter(f"pool = '{EVALUATION_POOL}'")
    customers = evaluation.aggregate("count(distinct customer_id)").fetchall()[0][0]
    step = residue_classes(customers, max_customers)
    return relation.filter(f"pool != '{EVALUATION_POOL}' or hash(customer_id) % {step} = 0")
