"""The uplift harness, on the randomised impressions after the cutoff (uplift_examples' split
evaluation) and, on synthetic data, the truth.

- Targeting: each learner's Qini coefficient, AUUC and uplift@10%/30% (definitions in
  ``metrics``), with random targeting as the floor and the oracle (the true uplift) as the
  ceiling, each learner's Qini as a share of the oracle's, and the Spearman correlation of
  predicted with true uplift. 95% intervals: the 2.5 and 97.5 percentiles over bootstrap
  resamples of customers (Poisson weights; a customer's impressions stay together).
- Top-k lists: every customer of the evaluation pool gets k offers by each policy (P(redeem),
  uplift, expected incremental margin, and the oracle's true incremental margin); the true
  probabilities score what each list would deliver - redemptions, incremental redemptions and
  incremental margin per customer, with intervals over resampled customers."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from itertools import repeat

import numpy as np
import pandas as pd

from metro_offers.evaluation import truth_columns
from metro_offers.metrics import mean_intervals, rank_within_customer, resample_weights
from metro_offers.uplift.decision import expected_incremental_margin
from metro_offers.uplift.metrics import Resamples, curve_points, poisson_resamples, targeting_metrics, targeting_order

RANDOM, ORACLE = "random", "oracle"
CURVE_POINTS = 100
TARGETING, LISTS = "targeting", "top_k_lists"


def _row(evaluation, method, metric, value, rows, low=np.nan, high=np.nan) -> dict:
    return {
        "evaluation": evaluation,
        "method": method,
        "metric": metric,
        "value": float(value),
        "ci_low": float(low),
        "ci_high": float(high),
        "rows": int(rows),
    }


def targeting_inputs(examples, predictions: pd.DataFrame, truth_dir, seed: int):
    """The evaluation impressions of ``examples`` (uplift_examples, a DuckDB relation) that
    ``predictions`` scored (uplift_scores: impression_id, learner, uplift; on the study
    schedule it may come from an earlier build of the period, whose impressions are a subset
    of today's), with true_uplift when the truth covers them, and every method's score
    aligned to them."""
    rows = (
        examples.filter("split = 'evaluation'")
        .project("impression_id, customer_id, offer_id, shown, bought_offer_products")
        .order("impression_id")
        .df()
    )
    rows = rows[rows.impression_id.isin(predictions.impression_id)].reset_index(drop=True)
    truth = truth_columns(truth_dir, rows, ("true_uplift",))
    if truth is not None:
        rows = rows.assign(true_uplift=truth["true_uplift"].to_numpy())
    predicted = {
        learner: frame.set_index("impression_id")["uplift"].reindex(rows.impression_id).to_numpy()
        for learner, frame in predictions.groupby("learner", sort=False)
    }
    return rows, targeting_scores(predicted, None if truth is None else rows["true_uplift"].to_numpy(), seed)


def targeting_scores(predicted: dict[str, np.ndarray], true_uplift: np.ndarray | None, seed: int) -> dict:
    """The methods judged: the learners' predictions, random and (with truth) the oracle."""
    n = len(next(iter(predicted.values()))) if predicted else 0
    scores = {RANDOM: np.random.default_rng(seed).random(n), **predicted}
    if true_uplift is not None:
        scores[ORACLE] = np.asarray(true_uplift, dtype=float)
    return scores


def evaluate_targeting(
    rows: pd.DataFrame, scores: dict[str, np.ndarray], bootstrap_samples: int, seed: int
) -> pd.DataFrame:
    """Metric rows. ``rows``: customer_id, shown, bought_offer_products
    and, on synthetic data, true_uplift."""
    shown = rows["shown"].to_numpy(dtype=bool)
    outcome = rows["bought_offer_products"].to_numpy(dtype=bool)
    tau = rows["true_uplift"].to_numpy(dtype=float) if "true_uplift" in rows else None
    orders = {method: targeting_order(score, seed) for method, score in scores.items()}

    def judged(method: str, resamples: Resamples | None) -> dict[str, np.ndarray]:
        order = orders[method]
        truth = None if tau is None else tau[order]
        resampled = None if resamples is None else resamples.of_rows(order)
        return targeting_metrics(shown[order], outcome[order], truth, resampled)

    point, replicates = {method: judged(method, None) for method in scores}, {method: [] for method in scores}
    # the methods of a chunk of resamples side by side: the compiled pass releases the GIL
    with ThreadPoolExecutor(max_workers=min(len(scores), os.cpu_count() or 1)) as pool:
        for resamples in poisson_resamples(rows["customer_id"].to_numpy(), bootstrap_samples, seed):
            for method, metrics in zip(scores, pool.map(judged, scores, repeat(resamples)), strict=True):
                replicates[method].append(metrics)
    stacked = {m: {k: np.concatenate([c[k] for c in chunks]) for k in point[m]} for m, chunks in replicates.items()}
    out, n = [], len(rows)
    for method in scores:
        for metric, value in point[method].items():
            low, high = np.nanpercentile(stacked[method][metric], [2.5, 97.5])
            out.append(_row(TARGETING, method, metric, value, n, low, high))
        if ORACLE in scores:
            with np.errstate(invalid="ignore", divide="ignore"):
                share = stacked[method]["qini"] / stacked[ORACLE]["qini"]
            low, high = np.nanpercentile(share, [2.5, 97.5])
            value = point[method]["qini"] / point[ORACLE]["qini"]
            out.append(_row(TARGETING, method, "qini_share_of_oracle", value, n, low, high))
            out.append(_row(TARGETING, method, "spearman_true_uplift", _spearman(scores[method], tau), n))
    return pd.DataFrame(out)


def qini_curves(rows: pd.DataFrame, scores: dict[str, np.ndarray], seed: int) -> pd.DataFrame:
    """Each method's Qini curve at CURVE_POINTS + 1 shares of the population (for charts)."""
    shown = rows["shown"].to_numpy(dtype=bool)
    outcome = rows["bought_offer_products"].to_numpy(dtype=bool)
    curves = []
    for method, score in scores.items():
        order = targeting_order(score, seed)
        share, qini = curve_points(shown[order], outcome[order], CURVE_POINTS)
        curves.append(pd.DataFrame({"method": method, "population_share": share, "qini": qini}))
    return pd.concat(curves, ignore_index=True)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra = pd.Series(a).rank().to_numpy()
    rb = pd.Series(b).rank().to_numpy()
    return float(np.corrcoef(ra, rb)[0, 1])


def evaluate_lists(pool: pd.DataFrame, k: int, bootstrap_samples: int, seed: int) -> pd.DataFrame:
    """Metric rows for each policy's top-k lists. ``pool``: customer_id, offer_id, p_redeem
    (the live ranker's), uplift (the serving learner's), base_price, unit_cost, discount_pct,
    true_p_if_shown and true_p_if_not_shown."""
    economics = (pool["base_price"], pool["unit_cost"], pool["discount_pct"])
    true_uplift = (pool["true_p_if_shown"] - pool["true_p_if_not_shown"]).to_numpy()
    true_margin = expected_incremental_margin(true_uplift, pool["true_p_if_shown"], *economics)
    policies = {
        "p_redeem": pool["p_redeem"].to_numpy(dtype=float),
        "uplift": pool["uplift"].to_numpy(dtype=float),
        "incremental_margin": expected_incremental_margin(pool["uplift"], pool["p_redeem"], *economics),
        ORACLE: true_margin,
    }
    customer = pool["customer_id"].to_numpy()
    offer = pool["offer_id"].to_numpy()
    outcomes = {
        "redemptions": pool["true_p_if_shown"].to_numpy(dtype=float),
        "incremental_redemptions": true_uplift,
        "incremental_margin": true_margin,
    }
    customers = np.unique(customer)
    per_customer = {}
    for policy, score in policies.items():
        top = rank_within_customer(customer, score, offer) <= k
        for metric, value in outcomes.items():
            totals = pd.Series(value[top], index=customer[top]).groupby(level=0).sum()
            per_customer[(policy, f"{metric}_per_customer")] = totals.reindex(customers, fill_value=0.0)
    for policy in policies:
        if policy != "p_redeem":  # paired with the same customers: does it beat ranking by P(redeem)?
            for metric in ("incremental_redemptions", "incremental_margin"):
                mine, base = (
                    per_customer[(policy, f"{metric}_per_customer")],
                    per_customer[("p_redeem", f"{metric}_per_customer")],
                )
                per_customer[(policy, f"{metric}_gain_over_p_redeem_per_customer")] = mine - base
    table = pd.DataFrame(per_customer)
    intervals = mean_intervals(table, resample_weights(len(customers), bootstrap_samples, seed))
    return pd.DataFrame(
        [
            _row(LISTS, policy, metric, row.value, len(customers), row.ci_low, row.ci_high)
            for (policy, metric), row in zip(table.columns, intervals.itertuples(), strict=True)
        ]
    )
