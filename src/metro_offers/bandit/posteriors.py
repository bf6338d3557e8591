"""Beta posteriors on P(redeem | shown), one per arm (an offer shown to a segment)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BetaPrior:
    alpha: float
    beta: float

    def __post_init__(self) -> None:
        if self.alpha <= 0 or self.beta <= 0:
            raise ValueError(f"a Beta prior needs alpha > 0 and beta > 0, got {self.alpha}, {self.beta}")


class ArmPosteriors:
    """alpha = prior alpha + redemptions, beta = prior beta + shown impressions that did not
    redeem, for arms 0 .. n_arms - 1."""

    def __init__(self, n_arms: int, prior: BetaPrior, redemptions=None, shown=None) -> None:
        redemptions = np.zeros(n_arms) if redemptions is None else np.asarray(redemptions, dtype=float)
        shown = np.zeros(n_arms) if shown is None else np.asarray(shown, dtype=float)
        if redemptions.shape != (n_arms,) or shown.shape != (n_arms,):
            raise ValueError("one count per arm is needed")
        if (redemptions < 0).any() or (redemptions > shown).any():
            raise ValueError("redemptions must lie between 0 and the arm's shown impressions")
        self.alpha = prior.alpha + redemptions
        self.beta = prior.beta + shown - redemptions

    @property
    def n_arms(self) -> int:
        return len(self.alpha)

    def update(self, arms: np.ndarray, rewards: np.ndarray) -> None:
        """Add one shown impression per element of arms, redeemed where its reward is 1."""
        rewards = np.asarray(rewards, dtype=float)
        np.add.at(self.alpha, arms, rewards)
        np.add.at(self.beta, arms, 1.0 - rewards)

    def mean(self) -> np.ndarray:
        return self.alpha / (self.alpha + self.beta)

    def sample(self, rng: np.random.Generator, draws: int) -> np.ndarray:
        """draws x n_arms independent draws of every arm's rate."""
        return rng.beta(self.alpha, self.beta, size=(draws, self.n_arms))
