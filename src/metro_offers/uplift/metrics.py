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
# resamples judged at a time: arrays of 10 x the impressions stay nearer the CPU's caches than
# 100 x (with the methods on threads, uplift_metrics 72 s against 141 s in bench/daily_run.py)
BOOTSTRAP_CHUNK = 10


def targeting_order(score: np.ndarray, seed: int) -> np.ndarray:
    """Row order best first; ties in random order (seeded), not in the rows' order, which
    follows offers and dates."""
    tie_break = np.random.default_rng(seed).random(len(score))
    return np.lexsort((tie_break, -np.asarray(score, dtype=float)))


class Cumulative:
    """Weighted running sums along the last axis (rows in targeting order): N_t, N_c, Y_t, Y_c
    and all rows, computed once and shared by every curve and metric of one ordering.
    ``weights``: a vector, or one row per bootstrap resample."""

    def __init__(self, treated: np.ndarray, outcome: np.ndarray, weights: np.ndarray) -> None:
        self.weights = np.asarray(weights, dtype=float)
        shown = self.weights * np.asarray(treated, dtype=float)
        held_out = self.weights - shown
        y = np.asarray(outcome, dtype=float)
        self.n_t, self.n_c = np.cumsum(shown, axis=-1), np.cumsum(held_out, axis=-1)
        self.y_t, self.y_c = np.cumsum(shown * y, axis=-1), np.cumsum(held_out * y, axis=-1)
        self.n = self.n_t + self.n_c
        self.total = self.n[..., -1:]

    def qini(self) -> np.ndarray:
        return (self.y_t - _ratio(self.y_c * self.n_t, self.n_c)) / self.total

    def gain(self) -> np.ndarray:
        return (_ratio(self.y_t, self.n_t) - _ratio(self.y_c, self.n_c)) * self.n / self.total

    def true_qini_curve(self, true_uplift: np.ndarray) -> np.ndarray:
        mean_tau = _ratio(np.cumsum(self.weights * true_uplift, axis=-1), self.n)
        return mean_tau * self.n_t / self.total

    def area_above_random(self, curve: np.ndarray) -> np.ndarray:
        """The area between a curve (points at k = 1..n, from 0 at k = 0) and the straight line
        from 0 to its last point, by trapezoids over x = cumulative weight share."""
        w = self.weights
        trapezoids = (w * curve).sum(axis=-1) + (w[..., 1:] * curve[..., :-1]).sum(axis=-1)
        return trapezoids / (2 * self.total[..., 0]) - curve[..., -1] / 2

    def uplift_at(self, share: float) -> np.ndarray:
        """Treated minus control outcome rate among the first ceil(share * n) rows; NaN without
        both arms there."""
        last = int(np.ceil(share * self.n.shape[-1])) - 1
        n_t, n_c, y_t, y_c = (a[..., last] for a in (self.n_t, self.n_c, self.y_t, self.y_c))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where((n_t > 0) & (n_c > 0), y_t / n_t - y_c / n_c, np.nan)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def qini_curve(treated: np.ndarray, outcome: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Q at k = 1..n (rows already in targeting order)."""
    return Cumulative(treated, outcome, weights).qini()


def gain_curve(treated: np.ndarray, outcome: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """G at k = 1..n (rows already in targeting order)."""
    return Cumulative(treated, outcome, weights).gain()


def targeting_metrics(
    treated: np.ndarray, outcome: np.ndarray, weights: np.ndarray, true_uplift: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Qini coefficient, AUUC, uplift@p and (given the true uplift) the true Qini for rows in
    targeting order: one value per resample (weights 2-D) or a scalar (weights 1-D)."""
    sums = Cumulative(treated, outcome, weights)
    metrics = {"qini": sums.area_above_random(sums.qini()), "auuc": sums.area_above_random(sums.gain())}
    for share in TOP_SHARES:
        metrics[f"uplift_at_{round(share * 100)}"] = sums.uplift_at(share)
    if true_uplift is not None:
        metrics["true_qini"] = sums.area_above_random(sums.true_qini_curve(np.asarray(true_uplift, dtype=float)))
    return metrics


def curve_points(treated: np.ndarray, outcome: np.ndarray, points: int) -> tuple[np.ndarray, np.ndarray]:
    """The Qini curve at ``points`` + 1 evenly spaced shares of the population (0 to 1), for
    charts; rows in targeting order."""
    curve = qini_curve(treated, outcome, np.ones(len(treated)))
    shares = np.linspace(0, 1, points + 1)
    rows = np.round(shares * len(curve)).astype(int)
    return shares, np.where(rows > 0, curve[np.maximum(rows - 1, 0)], 0.0)


def poisson_weights(cluster: np.ndarray, samples: int, seed: int):
    """Bootstrap resamples as row weights, in chunks of at most BOOTSTRAP_CHUNK resamples: each
    cluster (customer) drawn Poisson(1) times, so a customer's impressions stay together. One
    stream of draws, row after row: the same resamples whatever the chunk size."""
    codes, inverse = np.unique(cluster, return_inverse=True)
    rng = np.random.default_rng(seed)
    for first in range(0, samples, BOOTSTRAP_CHUNK):
        draws = rng.poisson(1.0, size=(min(BOOTSTRAP_CHUNK, samples - first), len(codes))).astype(float)
        yield draws[:, inverse]
