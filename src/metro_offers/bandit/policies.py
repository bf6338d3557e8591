"""Offer-selection policies: each picks one candidate row per context and can say with what
probability it picks each row (exactly, or by Monte-Carlo over posterior draws), so that its
decisions can be logged with their propensities and evaluated off-policy.

- uniform: every candidate alike (the exploration slice);
- greedy: the ranker's top offer, never exploring;
- epsilon_greedy: the best posterior mean per (offer, segment) arm, a uniform pick with
  probability epsilon;
- thompson: the best of one draw from every arm's Beta posterior;
- thompson_top_k: Thompson sampling among the ranker's top-k offers of the customer;
- thompson_ranker: the ranker's score times a sampled per-arm calibration (ThompsonRanker).
"""

from __future__ import annotations

import numpy as np

from metro_offers.bandit.choices import Choices, group_argmax, group_sum
from metro_offers.bandit.posteriors import ArmPosteriors


class Uniform:
    name = "uniform"
    label = "Uniform (exploration slice)"

    def choose(self, choices: Choices, rng: np.random.Generator) -> np.ndarray:
        return group_argmax(choices, rng.random(len(choices.group)))

    def probabilities(self, choices: Choices, rng: np.random.Generator) -> np.ndarray:
        return 1.0 / choices.per_row(choices.sizes)

    def learn(self, choices: Choices, shown_rows: np.ndarray, rewards: np.ndarray) -> None:
        pass


class Greedy:
    name = "greedy"
    label = "Greedy on the ranker"

    def choose(self, choices: Choices, rng: np.random.Generator) -> np.ndarray:
        return group_argmax(choices, choices.score)

    def probabilities(self, choices: Choices, rng: np.random.Generator) -> np.ndarray:
        chosen = np.zeros(len(choices.group))
        chosen[self.choose(choices, rng)] = 1.0
        return chosen

    def learn(self, choices: Choices, shown_rows: np.ndarray, rewards: np.ndarray) -> None:
        pass


class EpsilonGreedy:
    name = "epsilon_greedy"
    label = "Epsilon-greedy on the arms"

    def __init__(self, posteriors: ArmPosteriors, epsilon: float) -> None:
        if not 0 <= epsilon <= 1:
            raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
        self.posteriors, self.epsilon = posteriors, epsilon

    def _is_best(self, choices: Choices) -> np.ndarray:
        means = self.posteriors.mean()[choices.arm]
        return means == choices.per_row(np.maximum.reduceat(means, choices.starts))

    def choose(self, choices: Choices, rng: np.random.Generator) -> np.ndarray:
        explore = choices.per_row(rng.random(choices.n_groups) < self.epsilon)
        keys = rng.random(len(choices.group))  # uniform among all rows, or among the best
        return group_argmax(choices, np.where(explore | self._is_best(choices), keys, -1.0))

    def probabilities(self, choices: Choices, rng: np.random.Generator) -> np.ndarray:
        best = self._is_best(choices).astype(float)
        best_share = best / choices.per_row(group_sum(choices, best))
        return self.epsilon / choices.per_row(choices.sizes) + (1 - self.epsilon) * best_share

    def learn(self, choices: Choices, shown_rows: np.ndarray, rewards: np.ndarray) -> None:
        self.posteriors.update(choices.arm[shown_rows], rewards)


def _checked_draws(propensity_draws: int) -> int:
    if propensity_draws < 1:
        raise ValueError("at least one posterior draw is needed for a propensity (var bandit_propensity_draws)")
    return propensity_draws


class Thompson:
    """Thompson sampling on the arms' Beta posteriors."""

    name = "thompson"
    label = "Thompson sampling on the arms"

    def __init__(self, posteriors: ArmPosteriors, propensity_draws: int) -> None:
        self.posteriors, self.draws = posteriors, _checked_draws(propensity_draws)

    def _eligible(self, choices: Choices) -> np.ndarray:
        return np.ones(len(choices.group), dtype=bool)

    def _row_values(self, choices: Choices, rng: np.random.Generator) -> np.ndarray:
        # arms of one context are distinct, so one draw per row is one joint draw per context
        return rng.beta(self.posteriors.alpha[choices.arm], self.posteriors.beta[choices.arm])

    def _arm_draws(self, rng: np.random.Generator) -> np.ndarray:
        return self.posteriors.sample(rng, self.draws)

    def _values(self, choices: Choices, arm_draw: np.ndarray) -> np.ndarray:
        return arm_draw[choices.arm]

    def choose(self, choices: Choices, rng: np.random.Generator) -> np.ndarray:
        sub, rows = choices.subset(self._eligible(choices))
        return rows[group_argmax(sub, self._row_values(sub, rng))]

    def _wins(self, choices: Choices, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sub, rows = choices.subset(self._eligible(choices))
        wins, first = np.zeros(len(sub.group)), None
        for draw in self._arm_draws(rng):
            best = group_argmax(sub, self._values(sub, draw))
            np.add.at(wins, best, 1.0)
            first = best if first is None else first
        return rows, wins, first

    def probabilities(self, choices: Choices, rng: np.random.Generator) -> np.ndarray:
        """Each row's share of wins over propensity_draws joint draws of the posteriors."""
        rows, wins, _ = self._wins(choices, rng)
        shares = np.zeros(len(choices.group))
        shares[rows] = wins / self.draws
        return shares

    def choose_logged(self, choices: Choices, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """The chosen rows and their propensities: the choice is the first of the draws, the
        propensity its share of wins over all of them (so never 0; biased up by at most
        1 / propensity_draws)."""
        rows, wins, first = self._wins(choices, rng)
        return rows[first], wins[first] / self.draws

    def learn(self, choices: Choices, shown_rows: np.ndarray, rewards: np.ndarray) -> None:
        self.posteriors.update(choices.arm[shown_rows], rewards)


class ThompsonTopK(Thompson):
    """Thompson sampling on the arms' Beta posteriors among the ranker's top-k of each customer."""

    name = "thompson_top_k"
    label = "Thompson among the ranker's top-k"

    def __init__(self, posteriors: ArmPosteriors, propensity_draws: int, top_k: int) -> None:
        super().__init__(posteriors, propensity_draws)
        if top_k < 1:
            raise ValueError(f"the ranker's top-k needs k >= 1, got {top_k}")
        self.top_k = top_k

    def _eligible(self, choices: Choices) -> np.ndarray:
        return choices.score_rank < self.top_k


class ThompsonRanker(Thompson):
    """Ranks by a sampled score: the ranker's P(redeem) times a draw of the arm's calibration,
    the ratio of its redemptions to the ranker's expected ones. Gamma-Poisson posterior on the
    ratio, prior Gamma(s, s) (mean 1: the ranker trusted, with the weight of s expected
    redemptions); each shown impression adds its reward to the shape and its ranker score to
    the rate. With the prior alone it is greedy on the ranker, plus noise."""

    name = "thompson_ranker"
    label = "Thompson on the ranker's calibration"

    def __init__(self, n_arms: int, propensity_draws: int, prior_strength: float) -> None:
        if prior_strength <= 0:
            raise ValueError(f"var bandit_ranker_prior_strength must be positive, got {prior_strength}")
        self.shape = np.full(n_arms, float(prior_strength))
        self.rate = np.full(n_arms, float(prior_strength))
        self.draws = _checked_draws(propensity_draws)

    def _row_values(self, choices: Choices, rng: np.random.Generator) -> np.ndarray:
        return choices.score * rng.gamma(self.shape[choices.arm], 1.0 / self.rate[choices.arm])

    def _arm_draws(self, rng: np.random.Generator) -> np.ndarray:
        return rng.gamma(self.shape, 1.0 / self.rate, size=(self.draws, len(self.shape)))

    def _values(self, choices: Choices, arm_draw: np.ndarray) -> np.ndarray:
        return choices.score * arm_draw[choices.arm]

    def learn(self, choices: Choices, shown_rows: np.ndarray, rewards: np.ndarray) -> None:
        np.add.at(self.shape, choices.arm[shown_rows], rewards)
        np.add.at(self.rate, choices.arm[shown_rows], choices.score[shown_rows])


def make_policy(name: str, posteriors: ArmPosteriors, settings):
    """A policy from PolicySettings; the learning ones learn into ``posteriors``."""
    if name == "uniform":
        return Uniform()
    if name == "greedy":
        return Greedy()
    if name == "epsilon_greedy":
        return EpsilonGreedy(posteriors, settings.epsilon)
    if name == "thompson":
        return Thompson(posteriors, settings.propensity_draws)
    if name == "thompson_top_k":
        return ThompsonTopK(posteriors, settings.propensity_draws, settings.ranker_top_k)
    if name == "thompson_ranker":
        return ThompsonRanker(posteriors.n_arms, settings.propensity_draws, settings.ranker_prior_strength)
    raise ValueError(f"unknown policy {name!r}; policies: {', '.join(POLICY_NAMES)}")


POLICIES = (Uniform, Greedy, EpsilonGreedy, Thompson, ThompsonTopK, ThompsonRanker)
POLICY_NAMES = tuple(cls.name for cls in POLICIES)
POLICY_LABELS = {cls.name: cls.label for cls in POLICIES}
