"""The bandit: posterior updates, choice probabilities (exact and Monte-Carlo) and the
off-policy estimators by hand; the closed loop and the off-policy study on tiny worlds whose
answers are known."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import integrate, stats

from metro_offers.bandit import ope
from metro_offers.bandit.choices import Choices, group_argmax
from metro_offers.bandit.environment import build_environment
from metro_offers.bandit.ope_study import ope_study
from metro_offers.bandit.policies import (
    POLICY_NAMES,
    EpsilonGreedy,
    Greedy,
    Thompson,
    ThompsonRanker,
    ThompsonTopK,
    Uniform,
    make_policy,
)
from metro_offers.bandit.posteriors import ArmPosteriors, BetaPrior
from metro_offers.bandit.settings import PolicySettings, SimulationSettings, policy_settings, simulation_settings
from metro_offers.bandit.simulation import ORACLE, simulate

VARS = yaml.safe_load((Path(__file__).resolve().parents[2] / "dbt_project.yml").read_text())["vars"]
POLICY = PolicySettings(
    prior_alpha=1, prior_beta=1, epsilon=0.1, ranker_top_k=1, ranker_prior_strength=5, propensity_draws=200, seed=7
)


def test_settings_come_from_the_project_vars():
    assert policy_settings(VARS).propensity_draws == VARS["bandit_propensity_draws"]
    assert simulation_settings(VARS).simulation_days == VARS["bandit_simulation_days"]
    assert set(VARS["bandit_simulation_policies"]) <= set(POLICY_NAMES)


def test_posterior_update_by_hand():
    posteriors = ArmPosteriors(2, BetaPrior(1, 9), redemptions=[1, 0], shown=[4, 0])
    # arm 0: alpha 1 + 1, beta 9 + 3; then a redemption and a miss on arm 0, a miss on arm 1
    posteriors.update(np.array([0, 0, 1]), np.array([1, 0, 0]))
    np.testing.assert_allclose(posteriors.alpha, [3, 1])
    np.testing.assert_allclose(posteriors.beta, [13, 10])
    np.testing.assert_allclose(posteriors.mean(), [3 / 16, 1 / 11])
    with pytest.raises(ValueError, match="redemptions must lie"):
        ArmPosteriors(1, BetaPrior(1, 1), redemptions=[2], shown=[1])


def test_group_argmax_takes_the_earliest_of_ties_and_ranks_within_groups():
    choices = Choices(np.array([0, 0, 0, 1, 1]), np.arange(5), np.array([0.2, 0.5, 0.5, 0.1, 0.3]))
    np.testing.assert_array_equal(group_argmax(choices, choices.score), [1, 4])
    np.testing.assert_array_equal(choices.score_rank, [2, 0, 1, 1, 0])
    with pytest.raises(ValueError, match="grouped"):
        Choices(np.array([1, 0]), np.arange(2), np.zeros(2))


def exact_win_probability(a1, b1, a2, b2) -> float:
    """P(theta_1 > theta_2) for independent Beta(a1, b1), Beta(a2, b2)."""
    return integrate.quad(lambda x: stats.beta.pdf(x, a1, b1) * stats.beta.cdf(x, a2, b2), 0, 1)[0]


def test_thompson_propensity_matches_the_exact_two_arm_value():
    posteriors = ArmPosteriors(2, BetaPrior(1, 1), redemptions=[3, 1], shown=[10, 6])  # Beta(4, 8), Beta(2, 6)
    exact = exact_win_probability(4, 8, 2, 6)
    choices = Choices(np.zeros(2, dtype=np.int64), np.array([0, 1]), np.zeros(2))
    policy = Thompson(posteriors, propensity_draws=20_000)
    shares = policy.probabilities(choices, np.random.default_rng(1))
    assert shares[0] == pytest.approx(exact, abs=0.01) and shares.sum() == pytest.approx(1)
    chosen, propensity = policy.choose_logged(choices, np.random.default_rng(2))
    assert propensity[0] == pytest.approx(exact if chosen[0] == 0 else 1 - exact, abs=0.01)
    # the realised choices follow the same probability
    picks = [policy.choose(choices, np.random.default_rng(seed))[0] for seed in range(2000)]
    assert np.mean(np.array(picks) == 0) == pytest.approx(exact, abs=0.03)


def test_epsilon_greedy_probabilities_by_hand():
    # arms 0 and 2 tie for the best mean: each gets eps/3 + (1 - eps)/2, arm 1 gets eps/3
    posteriors = ArmPosteriors(3, BetaPrior(1, 1), redemptions=[1, 0, 1], shown=[2, 2, 2])
    policy = EpsilonGreedy(posteriors, epsilon=0.3)
    choices = Choices(np.zeros(3, dtype=np.int64), np.arange(3), np.zeros(3))
    expected = [0.1 + 0.35, 0.1, 0.1 + 0.35]
    np.testing.assert_allclose(policy.probabilities(choices, np.random.default_rng(0)), expected)
    picks = np.array([policy.choose(choices, np.random.default_rng(seed))[0] for seed in range(4000)])
    np.testing.assert_allclose(np.bincount(picks, minlength=3) / len(picks), expected, atol=0.03)


def test_uniform_greedy_and_top_k_probabilities():
    choices = Choices(np.array([0, 0, 0, 1]), np.array([0, 1, 2, 0]), np.array([0.3, 0.1, 0.2, 0.5]))
    rng = np.random.default_rng(0)
    np.testing.assert_allclose(Uniform().probabilities(choices, rng), [1 / 3, 1 / 3, 1 / 3, 1])
    np.testing.assert_allclose(Greedy().probabilities(choices, rng), [1, 0, 0, 1])
    # top-2 by score of the first customer: rows 0 and 2; equal posteriors -> one half each
    top_two = ThompsonTopK(ArmPosteriors(3, BetaPrior(1, 1)), propensity_draws=4000, top_k=2)
    np.testing.assert_allclose(top_two.probabilities(choices, rng), [0.5, 0, 0.5, 1], atol=0.03)


def test_thompson_ranker_learns_the_arm_calibration_by_hand():
    policy = ThompsonRanker(n_arms=2, propensity_draws=10, prior_strength=5)
    choices = Choices(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([0.2, 0.4, 0.1]))
    policy.learn(choices, np.array([0, 2]), np.array([1.0, 0.0]))
    # arm 0: shape 5 + 1, rate 5 + 0.2 + 0.1; arm 1 untouched
    np.testing.assert_allclose(policy.shape, [6, 5])
    np.testing.assert_allclose(policy.rate, [5.3, 5])
    for thompson in (
        lambda: Thompson(ArmPosteriors(2, BetaPrior(1, 1)), propensity_draws=0),
        lambda: ThompsonRanker(n_arms=2, propensity_draws=0, prior_strength=5),
    ):
        with pytest.raises(ValueError, match="at least one posterior draw"):
            thompson()


def test_off_policy_estimators_by_hand():
    rewards = np.array([1.0, 0.0, 1.0, 0.0])
    weights = ope.importance_weights(np.array([1.0, 0.0, 0.5, 1.0]), np.array([0.5, 0.25, 0.5, 0.5]))
    np.testing.assert_allclose(weights, [2, 0, 1, 2])
    ips = ope.ips(rewards, weights)  # terms 2, 0, 1, 0
    assert ips.value == pytest.approx(0.75)
    standard_error = np.std([2, 0, 1, 0], ddof=1) / 2
    assert ips.ci_high - ips.value == pytest.approx(ope.Z_95 * standard_error)
    assert ope.snips(rewards, weights).value == pytest.approx(3 / 5)
    # direct + w (r - r_hat): 0.6 + 2 * 0.5, 0.3 + 0, 0.5 + 1 * 0.6, 0.2 + 2 * (-0.1)
    dr = ope.doubly_robust(rewards, weights, np.array([0.5, 0.2, 0.4, 0.1]), np.array([0.6, 0.3, 0.5, 0.2]))
    assert dr.value == pytest.approx((1.6 + 0.3 + 1.1 + 0.0) / 4)
    assert ope.replay(rewards, np.array([True, False, False, True])).value == pytest.approx(0.5)
    with pytest.raises(ValueError, match="propensities"):
        ope.importance_weights(np.ones(1), np.zeros(1))


def tiny_world(visit_rate: float = 1.0):
    """Two customers with two live offers each: customer 1's ranker prefers its worse offer."""
    candidates = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2],
            "offer_id": [10, 20, 10, 20],
            "segment": ["a", "a", "b", "b"],
            "score": [0.1, 0.2, 0.9, 0.1],
            "end_date": pd.to_datetime(["2026-12-31"] * 4),
            "p_redeem_if_shown": [0.3, 0.1, 0.05, 0.2],
            "p_buy_if_not_shown": [0.1, 0.05, 0.01, 0.1],
        }
    )
    visits = pd.DataFrame({"customer_id": [1, 2], "visit_rate": [visit_rate, visit_rate]})
    return build_environment(candidates, visits, dt.date(2026, 11, 1))


def test_simulation_regret_by_hand_and_reproducible():
    world = tiny_world()
    settings = SimulationSettings(
        simulation_days=3, simulation_seeds=2, control_share=0.0, ope_replicates=1, ope_log_rows=10
    )
    days, _ = simulate(world, dt.date(2026, 11, 1), POLICY, settings, echo=lambda _: None)
    assert len(days) == (len(POLICY_NAMES) + 1) * 3 * 2
    per_day = days.set_index(["policy", "seed", "day"])
    # greedy shows offer 20 to customer 1 (0.3 - 0.1 lost) and offer 10 to customer 2 (0.2 - 0.05)
    np.testing.assert_allclose(per_day.loc["greedy"].regret, 0.35)
    np.testing.assert_allclose(per_day.loc[ORACLE].regret, 0.0)
    np.testing.assert_allclose(per_day.loc[ORACLE].expected_redemptions, 0.5)
    assert (days.regret >= -1e-12).all() and (days.visitors == 2).all()
    again, _ = simulate(world, dt.date(2026, 11, 1), POLICY, settings, echo=lambda _: None)
    pd.testing.assert_frame_equal(days, again)


def test_simulation_holds_out_the_same_control_group_for_every_policy():
    world = tiny_world(visit_rate=0.5)
    settings = SimulationSettings(
        simulation_days=20, simulation_seeds=1, control_share=0.3, ope_replicates=1, ope_log_rows=10
    )
    days, _ = simulate(world, dt.date(2026, 11, 1), POLICY, settings, echo=lambda _: None)
    by_day = days.groupby("day")
    assert (by_day.visitors.nunique() == 1).all() and (by_day.control_visitors.nunique() == 1).all()
    assert days.control_visitors.sum() > 0 and days.visitors.sum() < 2 * 20 * len(days.policy.unique())


def test_expired_offers_are_not_chosen():
    candidates_end = pd.to_datetime(["2026-11-01", "2026-12-31", "2026-12-31", "2026-12-31"])
    short = build_environment(
        pd.DataFrame(
            {
                "customer_id": [1, 1, 2, 2],
                "offer_id": [10, 20, 10, 20],
                "segment": ["a", "a", "b", "b"],
                "score": [0.9, 0.2, 0.9, 0.1],
                "end_date": candidates_end,
                "p_redeem_if_shown": [0.3, 0.1, 0.05, 0.2],
                "p_buy_if_not_shown": [0.1, 0.05, 0.01, 0.1],
            }
        ),
        pd.DataFrame({"customer_id": [1, 2], "visit_rate": [1.0, 1.0]}),
        dt.date(2026, 11, 1),
    )
    settings = SimulationSettings(
        simulation_days=2, simulation_seeds=1, control_share=0.0, ope_replicates=1, ope_log_rows=10
    )
    np.testing.assert_array_equal(short.last_day, [0, 60, 60, 60])
    days, _ = simulate(short, dt.date(2026, 11, 1), POLICY, settings, ("greedy",), echo=lambda _: None)
    greedy = days[days.policy == "greedy"].set_index("day")
    # day 0: customer 1 gets offer 10 (p 0.3), day 1 only offer 20 is live for it (p 0.1)
    assert greedy.expected_redemptions[0] == pytest.approx(0.3 + 0.05)
    assert greedy.expected_redemptions[1] == pytest.approx(0.1 + 0.05)


def test_the_off_policy_study_recovers_true_values_with_its_intervals_covering():
    world = tiny_world()
    settings = SimulationSettings(
        simulation_days=1, simulation_seeds=1, control_share=0.0, ope_replicates=300, ope_log_rows=2000
    )
    targets = {
        "greedy": Greedy(),
        "epsilon_greedy": make_policy("epsilon_greedy", ArmPosteriors(4, BetaPrior(1, 1)), POLICY),
    }
    study = ope_study(world, targets, settings, seed=3, echo=lambda _: None).set_index(["target_policy", "estimator"])
    # greedy: customer 1 -> offer 20 (0.1), customer 2 -> offer 10 (0.05): value 0.075
    assert study.loc[("greedy", "ips"), "true_value"] == pytest.approx(0.075)
    assert ("epsilon_greedy", "replay") not in study.index  # replay judges deterministic targets only
    assert (study.relative_bias.abs() < 0.05).all()
    assert study.interval_coverage.between(0.88, 0.99).all()


def test_the_simulation_samples_whole_customers_by_a_hash_of_their_id():
    import duckdb

    from metro_offers.bandit.inputs import sampled_customers

    con = duckdb.connect()
    scores = con.sql("select c as customer_id, o as offer_id, 0.1 as score from range(1, 11) t(c), range(3) u(o)")
    assert len(sampled_customers(scores, 100).df()) == 30  # fewer customers than the cap: all of them
    sampled = sampled_customers(scores, 4).df()
    # 10 customers, at most about 4: the step is ceil(10 / 4) = 3, the customers whose hash is 0 mod 3
    expected = {c for (c,) in con.sql("select c from range(1, 11) t(c) where hash(c) % 3 = 0").fetchall()}
    assert set(sampled.customer_id) == expected and 0 < len(expected) < 10
    assert (sampled.groupby("customer_id").offer_id.nunique() == 3).all()  # every candidate of each
