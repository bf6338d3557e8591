"""The generator's sampling helpers: a numerically safe sigmoid, deterministic pair noise,
intercept calibration, per-group categorical draws and the (customer, product) purchase
history its true probabilities read."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def pair_noise(customer_id: np.ndarray, offer_id: np.ndarray, seed: int, salt: int) -> np.ndarray:
    """Standard-normal noise that depends only on (customer, offer, seed, salt).

    A splitmix64 hash, so the same pair gets the same latent noise in the impressions and
    in the truth table, whatever order the pairs come in.
    """
    with np.errstate(over="ignore"):
        x = (customer_id.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ (
            offer_id.astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9)
        )
        x ^= np.uint64((seed * 1_000_003 + salt) & 0xFFFFFFFFFFFFFFFF)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    u = (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    u = np.clip(u, 1e-12, 1 - 1e-12)
    # Box-Muller on two disjoint bit ranges of the hash
    v = ((x & np.uint64(0x7FF)).astype(np.float64) + 0.5) / 2048.0
    return np.sqrt(-2.0 * np.log(u)) * np.cos(2 * np.pi * v)


def calibrate_intercept(base_logit: np.ndarray, target_mean: float, transform=None) -> float:
    """Intercept b such that mean(transform(sigmoid(base_logit + b))) equals target_mean."""
    transform = transform or (lambda p: p)
    lo, hi = -30.0, 30.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if transform(sigmoid(base_logit + mid)).mean() < target_mean:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def categorical_cdf(weights: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Concatenated per-group CDFs shifted by the group number.

    ``searchsorted(cdf, g + u)`` then draws an item of group g with probability
    proportional to its weight, for many groups in one vectorised call. Items must be
    sorted by group.
    """
    totals = np.bincount(group, weights=weights, minlength=n_groups)
    cum = np.cumsum(weights)
    group_start_cum = np.concatenate([[0.0], np.cumsum(totals)])[group]
    within = (cum - group_start_cum) / np.where(totals[group] > 0, totals[group], 1.0)
    cdf = group + within
    # guard against rounding: the last item of each group must reach g + 1 exactly
    last = np.r_[group[1:] != group[:-1], True]
    cdf[last] = group[last] + 1.0
    return cdf


class PairHistory:
    """Purchase history per (customer, product) and (customer, category, day), indexed once in
    DuckDB, to look up for (customer, offer) pairs as of a day: did the customer buy the
    offered product (any product of the category, for a category-level offer) before, and
    how many days ago did they last buy in the category."""

    def __init__(self, customer: np.ndarray, product: np.ndarray, category: np.ndarray, day: np.ndarray) -> None:
        self.con = duckdb.connect()
        lines = pd.DataFrame(
            {"c": customer.astype(np.int32), "p": product.astype(np.int32), "k": category.astype(np.int16), "d": day}
        )
        self.con.register("lines", lines)
        self.con.execute("create table first_product as select c, p, min(d) as first_d from lines group by all")
        self.con.execute("create table category_days as select distinct c, k, d from lines")
        self.con.unregister("lines")

    def lookup(self, customer: np.ndarray, product: np.ndarray, category: np.ndarray, asof: np.ndarray) -> pd.DataFrame:
        pairs = pd.DataFrame(
            {
                "pair": np.arange(len(customer)),
                "c": customer.astype(np.int32),
                "p": product.astype(np.int32),  # -1 for category-level offers
                "k": category.astype(np.int16),
                "asof": asof.astype(np.int32),
            }
        )
        self.con.register("pairs", pairs)
        result = self.con.sql(
            """
            select pairs.pair,
                   coalesce(case when pairs.p >= 0 then fp.first_d < pairs.asof
                                 else cd.d is not null end, false) as bought_before,
                   pairs.asof - cd.d as days_since_category
            from pairs
            asof left join category_days cd
              on pairs.c = cd.c and pairs.k = cd.k and pairs.asof > cd.d
            left join first_product fp on pairs.c = fp.c and pairs.p = fp.p
            order by pairs.pair
            """
        ).df()
        self.con.unregister("pairs")
        return result
