"""Ranking metrics with binary relevance, per list, and bootstrap intervals over lists.

Used by the rankers' selection (NDCG@10 on the validation pool), offline evaluation and the
Complete Journey benchmark, so every number is computed by the same functions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# a method's NDCG@k minus P-TopFreq's on the same lists: bootstrapped with the same resamples,
# its interval says whether the method beats the baseline where their own intervals overlap
PAIRED_GAIN = "ndcg_gain_over_p_topfreq"


def rank_within_customer(customer: np.ndarray, score: np.ndarray, tie_break: np.ndarray) -> np.ndarray:
    """1-based rank of each row among its customer's rows: higher score first, ties by the
    smaller tie_break value (the offer id), so every method's ranking is deterministic."""
    order = np.lexsort((tie_break, -np.asarray(score, dtype=float), customer))
    sorted_customer = customer[order]
    starts = np.r_[0, np.flatnonzero(sorted_customer[1:] != sorted_customer[:-1]) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(len(order)) - group_start + 1
    return ranks


def list_metrics(
    customer: np.ndarray, rank: np.ndarray, relevant: np.ndarray, n_relevant: pd.Series, k: int
) -> pd.DataFrame:
    """Per-customer NDCG@k, Precision@k, Recall@k, MRR, MAP@k and hit rate@k with binary
    relevance. n_relevant (indexed by customer) counts the customer's relevant items, also
    those outside the ranked rows; customers with none are left out."""
    relevant = np.asarray(relevant, dtype=bool)
    frame = pd.DataFrame({"customer": customer, "rank": rank, "relevant": relevant})
    hits = frame[frame.relevant].sort_values(["customer", "rank"])
    hits["hit_number"] = hits.groupby("customer").cumcount() + 1
    top = hits[hits["rank"] <= k]
    n_rel = n_relevant[n_relevant > 0].astype(float)
    out = pd.DataFrame(index=n_rel.index)
    out.index.name = "customer"
    n_hits = top.groupby("customer").size().reindex(out.index, fill_value=0)
    dcg = (1.0 / np.log2(top["rank"] + 1.0)).groupby(top.customer).sum().reindex(out.index, fill_value=0.0)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discounts)[np.minimum(n_rel.to_numpy(), k).astype(int) - 1]
    out["ndcg"] = dcg.to_numpy() / ideal
    out["precision"] = n_hits.to_numpy() / k
    out["recall"] = n_hits.to_numpy() / n_rel.to_numpy()
    first = hits.groupby("customer")["rank"].min().reindex(out.index)
    out["mrr"] = (1.0 / first).fillna(0.0).to_numpy()
    precision_at_hit = (top["hit_number"] / top["rank"]).groupby(top.customer).sum()
    out["map"] = precision_at_hit.reindex(out.index, fill_value=0.0).to_numpy() / np.minimum(n_rel.to_numpy(), k)
    out["hit_rate"] = (n_hits.to_numpy() > 0).astype(float)
    return out


def intra_list_diversity(customer: np.ndarray, rank: np.ndarray, category: np.ndarray, k: int) -> pd.Series:
    """Per customer, the share of pairs of offers in the top-k list from different categories
    (0 = one category, 1 = all different); lists with fewer than two offers are left out."""
    frame = pd.DataFrame({"customer": customer, "category": category})[rank <= k]
    per_category = frame.groupby(["customer", "category"]).size()
    same_pairs = (per_category * (per_category - 1) / 2).groupby(level="customer").sum()
    size = frame.groupby("customer").size()
    pairs = size * (size - 1) / 2
    return (1.0 - same_pairs / pairs)[pairs > 0]


def bootstrap_means(values: pd.DataFrame, weights: np.ndarray) -> np.ndarray:
    """Bootstrap replicates (one row per resample) of each column's mean over the customers
    where it is defined. weights: resample counts, one row per resample, one column per
    customer in values' order."""
    defined = values.notna().to_numpy(dtype=float)
    filled = values.fillna(0.0).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (weights @ filled) / (weights @ defined)


def mean_intervals(values: pd.DataFrame, weights: np.ndarray) -> pd.DataFrame:
    """Each column's mean with the 2.5 and 97.5 percentiles of its bootstrap replicates
    (bootstrap_means with ``weights``): one row per column of values, with value, ci_low and
    ci_high."""
    low, high = np.percentile(bootstrap_means(values, weights), [2.5, 97.5], axis=0)
    return pd.DataFrame({"value": values.mean(), "ci_low": low, "ci_high": high})


def resample_weights(n_customers: int, samples: int, seed: int) -> np.ndarray:
    """How often each customer is drawn in each bootstrap resample (customers with equal
    probability, with replacement)."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_customers, np.full(n_customers, 1.0 / n_customers), size=samples).astype(np.float64)


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (ties count half), or NaN with a single class."""
    labels = np.asarray(labels, dtype=bool)
    n_pos, n_neg = labels.sum(), (~labels).sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = pd.Series(np.asarray(scores, dtype=float)).rank(method="average").to_numpy()
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def paired_gains(ndcg: dict[str, pd.Series], baseline: str = "p_topfreq") -> dict[str, pd.Series]:
    """Each method's per-list NDCG minus the baseline's on the same lists (PAIRED_GAIN), for
    every method but the baseline; empty when the baseline was not ranked."""
    if baseline not in ndcg:
        return {}
    return {
        method: (values - ndcg[baseline]).rename(PAIRED_GAIN) for method, values in ndcg.items() if method != baseline
    }


def mean_ndcg(group: np.ndarray, score: np.ndarray, relevant: np.ndarray, n_relevant: pd.Series, tie_break, k: int):
    """Mean NDCG@k over the groups (lists) with a relevant item; n_relevant is indexed by group."""
    rank = rank_within_customer(group, score, tie_break)
    return float(list_metrics(group, rank, relevant, n_relevant, k)["ndcg"].mean())
