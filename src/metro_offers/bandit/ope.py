"""Off-policy estimators of a target policy's value (mean reward per decision) from a log of
decisions made by another policy, each with a 95% normal interval:

- replay: the mean reward of the logged decisions where a deterministic target would have
  made the same choice (unbiased only when the log is uniform: the exploration slice);
- IPS: mean of w * r, w = pi(logged action | context) / logged propensity;
- SNIPS: sum(w * r) / sum(w), its interval by the delta method;
- doubly robust: mean of sum_a pi(a | context) r_hat(context, a) + w * (r - r_hat(logged)).

IPS, SNIPS and doubly robust need a logged propensity > 0 for every action the target can
take (full support); replay needs a uniform log."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Z_95 = 1.959964


@dataclass(frozen=True)
class Estimate:
    value: float
    ci_low: float
    ci_high: float
    rows: int  # logged decisions the estimate rests on

    @classmethod
    def normal(cls, value: float, standard_error: float, rows: int) -> Estimate:
        return cls(value, value - Z_95 * standard_error, value + Z_95 * standard_error, rows)


NAN_ESTIMATE = Estimate(float("nan"), float("nan"), float("nan"), 0)


def _mean_estimate(terms: np.ndarray) -> Estimate:
    if len(terms) < 2:
        return NAN_ESTIMATE
    return Estimate.normal(float(terms.mean()), float(terms.std(ddof=1) / np.sqrt(len(terms))), len(terms))


def importance_weights(target_probability: np.ndarray, logged_propensity: np.ndarray) -> np.ndarray:
    logged_propensity = np.asarray(logged_propensity, dtype=float)
    if (logged_propensity <= 0).any() or (logged_propensity > 1).any():
        raise ValueError("logged propensities must lie in (0, 1]")
    return np.asarray(target_probability, dtype=float) / logged_propensity


def ips(rewards: np.ndarray, weights: np.ndarray) -> Estimate:
    return _mean_estimate(weights * rewards)


def snips(rewards: np.ndarray, weights: np.ndarray) -> Estimate:
    total = weights.sum()
    if len(rewards) < 2 or total <= 0:
        return NAN_ESTIMATE
    value = float((weights * rewards).sum() / total)
    return Estimate.normal(value, float(np.sqrt(((weights * (rewards - value)) ** 2).sum()) / total), len(rewards))


def doubly_robust(
    rewards: np.ndarray, weights: np.ndarray, logged_reward_hat: np.ndarray, direct: np.ndarray
) -> Estimate:
    """direct: the reward model's value of the target in each logged context,
    sum_a pi(a | context) r_hat(context, a)."""
    return _mean_estimate(direct + weights * (rewards - logged_reward_hat))


def replay(rewards: np.ndarray, matched: np.ndarray) -> Estimate:
    hits = rewards[matched]
    if len(hits) < 2:
        return NAN_ESTIMATE
    value = float(hits.mean())
    return Estimate.normal(value, float(np.sqrt(value * (1 - value) / len(hits))), len(hits))
