"""Uplift metrics on randomised data: the Qini curve and coefficient, AUUC and uplift@k.

Normalisation (stated once, used everywhere): the population is the evaluation window's
impressions, treated (shown) and control together, sorted by predicted uplift, best first.
At the first k of n rows, with N_t, N_c treated and control rows and Y_t, Y_c their
outcomes (bought the offer's products in the window):

- Qini curve (Radcliffe 2007): Q(k) = (Y_t - Y_c * N_t / N_c) / n - the incremental buyers
  among the targeted, per impression of the whole population; x = k / n in [0, 1].
- Qini coefficient: the area between Q and the straight line from (0, 0) to (1, Q(n)) (random
  targeting), trapezoids over every row. In the same unit as Q; comparable between methods on
  the same rows, and as a share of the oracle's (ranking by the true uplift) on synthetic data.
- Cumulative gain (Gutierrez and Gerardy 2016): G(k) = (Y_t / N_t - Y_c / N_c) * k / n, and
  AUUC = its area minus random's (the straight line to G(n)), as for Qini.
- uplift@p: Y_t / N_t - Y_c / N_c among the first ceil(p * n) rows (NaN without both arms).
Where N_c (or N_t) is still 0 at the top of the list, its ratio counts as 0 in the curves.

With true uplift tau (synthetic data only), the true Qini curve is mean(tau of the first k) x N_t / n.
Row weights (bootstrap resamples) enter every sum, so a resample needs no re-sorting."""

from __future__ import annotations

import numpy as np

TOP_SHARES = (0.1, 0.3)  # uplift@10% and @30%


def targeting_order(score: np.ndarray, seed: int) -> np.ndarray:
    """Row order best first; ties in random order (seeded), not in the rows' order, which
    follows offers and dates."""
    tie_break = np.random.default_rng(seed).random(len(score))
    return np.lexsort((tie_break, -np.asarray(score, dtype=float)))


def _cumulative(treated: np.ndarray, outcome: np.ndarray, weights: np.ndarray):
    """Cumulative weighted N_t, N_c, Y_t, Y_c along the last axis (rows in targeting order)."""
    t = treated.astype(float)
    y = outcome.astype(float)
    n_t = np.cumsum(weights * t, axis=-1)
    n_c = np.cumsum(weights * (1 - t), axis=-1)
    y_t = np.cumsum(weights * t * y, axis=-1)
    y_c = np.cumsum(weights * (1 - t) * y, axis=-1)
    return n_t, n_c, y_t, y_c


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def qini_curve(treated: np.ndarray, outcome: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Q at k = 1..n (rows already in targeting order); weights: one row per resample, or a
    vector."""
    n_t, n_c, y_t, y_c = _cumulative(treated, outcome, weights)
    total = weights.sum(axis=-1, keepdims=True)
    return (y_t - _ratio(y_c * n_t, n_c)) / total


def gain_curve(treated: np.ndarray, outcome: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """G at k = 1..n (rows already in targeting order)."""
    n_t, n_c, y_t, y_c = _cumulative(treated, outcome, weights)
    total = weights.sum(axis=-1, keepdims=True)
    return (_ratio(y_t, n_t) - _ratio(y_c, n_c)) * np.cumsum(weights, axis=-1) / total


def area_above_random(curve: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The area between a curve (points at k = 1..n, starting from 0 at k = 0) and the straight
    line from 0 to its last point, over x = cumulative weight share."""
    x = np.cumsum(weights, axis=-1) / weights.sum(axis=-1, keepdims=True)
    x = np.concatenate([np.zeros_like(x[..., :1]), x], axis=-1)
    y = np.concatenate([np.zeros_like(curve[..., :1]), curve], axis=-1)
    area = np.sum((y[..., 1:] + y[..., :-1]) / 2 * np.diff(x, axis=-1), axis=-1)
    return area - curve[..., -1] / 2


def uplift_at(treated: np.ndarray, outcome: np.ndarray, weights: np.ndarray, share: float) -> np.ndarray:
    """Observed uplift (treated minus control outcome rate) among the first ceil(share * n)
    rows in targeting order."""
    top = int(np.ceil(share * treated.shape[-1]))
    n_t, n_c, y_t, y_c = _cumulative(treated[..., :top], outcome[..., :top], weights[..., :top])
    n_t, n_c, y_t, y_c = n_t[..., -1], n_c[..., -1], y_t[..., -1], y_c[..., -1]
    with np.errstate(invalid="ignore", divide="ignore"):  # NaN when an arm has no rows there
        return np.where((n_t > 0) & (n_c > 0), y_t / n_t - y_c / n_c, np.nan)


def targeting_metrics(treated: np.ndarray, outcome: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
    """Qini coefficient, AUUC and uplift@p for rows in targeting order, one value per
    resample (weights 2-D) or a scalar (weights 1-D)."""
    treated = np.asarray(treated, dtype=bool)
    outcome = np.asarray(outcome, dtype=bool)
    weights = np.asarray(weights, dtype=float)
    metrics = {
        "qini": area_above_random(qini_curve(treated, outcome, weights), weights),
        "auuc": area_above_random(gain_curve(treated, outcome, weights), weights),
    }
    for share in TOP_SHARES:
        metrics[f"uplift_at_{round(share * 100)}"] = uplift_at(treated, outcome, weights, share)
    return metrics


def true_qini(treated: np.ndarray, true_uplift: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The Qini coefficient with the true uplift of each row (rows in targeting order): the
    expected Qini curve, mean true uplift of the first k x N_t(k) / n (as causalml's get_qini
    with a treatment-effect column), free of the outcomes' noise."""
    with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 before the first drawn row
        mean_tau = np.cumsum(weights * true_uplift, axis=-1) / np.cumsum(weights, axis=-1)
    n_t = np.cumsum(weights * treated.astype(float), axis=-1)
    curve = np.nan_to_num(mean_tau) * n_t / weights.sum(axis=-1, keepdims=True)
    return area_above_random(curve, weights)


def curve_points(treated: np.ndarray, outcome: np.ndarray, points: int) -> tuple[np.ndarray, np.ndarray]:
    """The Qini curve at ``points`` + 1 evenly spaced shares of the population (0 to 1), for
    charts; rows in targeting order."""
    curve = qini_curve(np.asarray(treated, bool), np.asarray(outcome, bool), np.ones(len(treated)))
    shares = np.linspace(0, 1, points + 1)
    rows = np.round(shares * len(curve)).astype(int)
    return shares, np.where(rows > 0, curve[np.maximum(rows - 1, 0)], 0.0)


def poisson_weights(cluster: np.ndarray, samples: int, seed: int):
    """Bootstrap resamples as row weights, in chunks of at most 100 resamples: each cluster
    (customer) drawn Poisson(1) times, so a customer's impressions stay together."""
    codes, inverse = np.unique(cluster, return_inverse=True)
    rng = np.random.default_rng(seed)
    for first in range(0, samples, 100):
        draws = rng.poisson(1.0, size=(min(100, samples - first), len(codes))).astype(float)
        yield draws[:, inverse]
