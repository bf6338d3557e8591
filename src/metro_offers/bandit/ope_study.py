"""How well off-policy evaluation recovers a policy's true value: replicated logs of the
exploration slice (each context a customer with its candidates live on the first simulated
day, the logged offer drawn uniformly, the reward from the truth), every target policy judged
on each log by replay, IPS, SNIPS and doubly robust, and the estimates compared with the true
value (the truth's P(redeem | shown) averaged under the target's choice probabilities):
relative bias, how often an estimate lands within 10% of the truth, and how often its 95%
interval covers it. The doubly robust reward model is the ranker's P(redeem) scaled to the
log's redemptions, cross-fitted: each half of a log is scaled by the other half."""

from __future__ import annotations

import numpy as np
import pandas as pd

from metro_offers.bandit import ope
from metro_offers.bandit.choices import group_sum
from metro_offers.bandit.environment import Environment
from metro_offers.bandit.settings import SimulationSettings

LOGGING_POLICY = "uniform"
ESTIMATORS = ("replay", "ips", "snips", "doubly_robust")
WITHIN = 0.10  # "lands within 10% of its true value"


def ope_study(env: Environment, targets: dict, settings: SimulationSettings, seed: int, echo=print) -> pd.DataFrame:
    """One row per (target, estimator): the true value, the estimates' mean, relative bias,
    share within 10% of the truth, interval coverage and mean interval width."""
    population, rows = env.choices.subset(env.last_day >= 0)
    if not population.n_groups:
        return pd.DataFrame()
    p_shown, reward_hat = env.p_shown[rows], population.score
    judged = {}
    for index, (name, policy) in enumerate(targets.items()):
        pi = policy.probabilities(population, np.random.default_rng([seed, 2_000_000, index]))
        judged[name] = {
            "pi": pi,
            "true_value": float(group_sum(population, pi * p_shown).mean()),
            "direct": group_sum(population, pi * reward_hat),
            "deterministic": bool(np.isin(pi, (0.0, 1.0)).all()),
        }
    results = {(name, estimator): [] for name in judged for estimator in ESTIMATORS}
    for replicate in range(settings.ope_replicates):
        rng = np.random.default_rng([seed, 1_000_000, replicate])
        context = rng.integers(0, population.n_groups, settings.ope_log_rows)
        logged = population.starts[context] + (rng.random(len(context)) * population.sizes[context]).astype(np.int64)
        propensity = 1.0 / population.sizes[context]
        reward = (rng.random(len(context)) < p_shown[logged]).astype(float)
        scale = _cross_fitted_scale(reward, reward_hat[logged])
        for name, target in judged.items():
            weights = ope.importance_weights(target["pi"][logged], propensity)
            estimates = {
                "ips": ope.ips(reward, weights),
                "snips": ope.snips(reward, weights),
                "doubly_robust": ope.doubly_robust(
                    reward, weights, scale * reward_hat[logged], scale * target["direct"][context]
                ),
                # replay judges deterministic targets only
                "replay": ope.replay(reward, target["pi"][logged] == 1.0) if target["deterministic"] else None,
            }
            for estimator, estimate in estimates.items():
                if estimate is not None:
                    results[(name, estimator)].append(estimate)
    echo(f"[bandit] off-policy study: {settings.ope_replicates} logs of {settings.ope_log_rows:,} decisions")
    out = []
    for (name, estimator), estimates in results.items():
        if not estimates:
            continue
        true_value = judged[name]["true_value"]
        values = np.array([e.value for e in estimates])
        low, high = np.array([e.ci_low for e in estimates]), np.array([e.ci_high for e in estimates])
        out.append(
            {
                "target_policy": name,
                "estimator": estimator,
                "logging_policy": LOGGING_POLICY,
                "true_value": true_value,
                "mean_estimate": float(np.nanmean(values)),
                "relative_bias": float(np.nanmean(values) / true_value - 1),
                "relative_rmse": float(np.sqrt(np.nanmean((values - true_value) ** 2)) / true_value),
                "share_within_10pct": float(np.mean(np.abs(values / true_value - 1) <= WITHIN)),
                "interval_coverage": float(np.mean((low <= true_value) & (true_value <= high))),
                "mean_interval_width": float(np.nanmean(high - low)),
                "mean_rows_used": float(np.mean([e.rows for e in estimates])),
                "replicates": len(estimates),
                "log_rows": settings.ope_log_rows,
            }
        )
    return pd.DataFrame(out)


def _cross_fitted_scale(reward: np.ndarray, reward_hat: np.ndarray) -> np.ndarray:
    """Per logged row, redemptions over the reward model's expected ones in the other half of
    the log (rows alternate between the halves)."""
    half = np.arange(len(reward)) % 2
    scale = np.ones(len(reward))
    for h in (0, 1):
        other = half != h
        expected = reward_hat[other].sum()
        if expected > 0:
            scale[half == h] = reward[other].sum() / expected
    return scale
