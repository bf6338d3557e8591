"""The closed loop: for each simulated day, the customers who visit, each policy's choice of
one offer per visitor, outcomes drawn from the truth, and the learning policies' posteriors
updated with the day's outcomes (as a nightly run would).

Every policy faces the same visitors, the same control group and the same uniform draws of
the outcomes (common random numbers), so their differences are not noise of the world. A
redemption is observed the day the offer is shown (no delay)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from metro_offers.bandit.choices import group_argmax
from metro_offers.bandit.environment import Environment
from metro_offers.bandit.policies import POLICY_NAMES, make_policy
from metro_offers.bandit.posteriors import ArmPosteriors
from metro_offers.bandit.settings import PolicySettings, SimulationSettings

ORACLE = "oracle"  # the best offer of each visitor under the truth: the regret's reference


def simulate(
    env: Environment,
    start: dt.date,
    policy_settings: PolicySettings,
    settings: SimulationSettings,
    policy_names=POLICY_NAMES,
    echo=print,
) -> tuple[pd.DataFrame, dict]:
    """One row per (policy, seed, day) with the day's outcomes; and the first seed's policies
    at the end of the run (what the off-policy study judges)."""
    records, first_seed_policies = [], {}
    for seed_index in range(settings.simulation_seeds):
        policies = {
            name: make_policy(name, ArmPosteriors(env.n_arms, policy_settings.prior()), policy_settings)
            for name in policy_names
        }
        for day in range(settings.simulation_days):
            records.extend(_simulate_day(env, policies, day, seed_index, policy_settings.seed, settings))
        if seed_index == 0:
            first_seed_policies = policies
        echo(f"[bandit] simulation seed {seed_index + 1}/{settings.simulation_seeds}: {settings.simulation_days} days")
    frame = pd.DataFrame.from_records(records)
    if not frame.empty:
        frame["simulation_date"] = pd.Timestamp(start) + pd.to_timedelta(frame["day"], unit="D")
    return frame, first_seed_policies


def _simulate_day(env: Environment, policies: dict, day: int, seed_index: int, seed: int, settings) -> list[dict]:
    world = np.random.default_rng([seed, seed_index, day])
    visits = world.random(env.n_customers) < env.visit_rate
    control = world.random(env.n_customers) < settings.control_share
    outcome_draw = world.random(env.n_customers)
    choices, rows = env.choices.subset(visits[env.choices.group] & (env.last_day >= day))
    p_shown, p_not_shown = env.p_shown[rows], env.p_not_shown[rows]
    oracle = group_argmax(choices, p_shown)
    best = p_shown[oracle]
    customers = choices.group[choices.starts]
    held_out = control[customers]
    draws = outcome_draw[customers]

    def outcome(name: str, chosen: np.ndarray) -> dict:
        shown = ~held_out
        redeemed = draws < p_shown[chosen]
        bought_anyway = draws < p_not_shown[chosen]
        return {
            "policy": name,
            "seed": seed_index,
            "day": day,
            "visitors": len(chosen),
            "shown": int(shown.sum()),
            "redemptions": int((redeemed & shown).sum()),
            "expected_redemptions": float(p_shown[chosen][shown].sum()),
            "control_visitors": int(held_out.sum()),
            "control_buyers": int((bought_anyway & held_out).sum()),
            "true_incremental": float((p_shown[chosen] - p_not_shown[chosen])[shown].sum()),
            "regret": float((best - p_shown[chosen])[shown].sum()),
        }, redeemed

    records = [outcome(ORACLE, oracle)[0]]
    for index, (name, policy) in enumerate(policies.items()):
        chosen = policy.choose(choices, np.random.default_rng([seed, seed_index, day, index + 1]))
        record, redeemed = outcome(name, chosen)
        records.append(record)
        policy.learn(choices, chosen[~held_out], redeemed[~held_out].astype(float))
    return records
