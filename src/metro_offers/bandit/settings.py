"""The bandit's settings, read from the vars bandit_<field> (dbt_project.yml)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from metro_offers import studies
from metro_offers.bandit.posteriors import BetaPrior
from metro_offers.ranking.registry import live_entry
from metro_offers.var_settings import settings_from_vars


@dataclass(frozen=True)
class PolicySettings:
    prior_alpha: float
    prior_beta: float
    epsilon: float
    ranker_top_k: int
    ranker_prior_strength: float
    propensity_draws: int
    seed: int

    def prior(self) -> BetaPrior:
        return BetaPrior(self.prior_alpha, self.prior_beta)


@dataclass(frozen=True)
class SimulationSettings:
    simulation_days: int
    simulation_seeds: int
    control_share: float
    ope_replicates: int
    ope_log_rows: int

    def __post_init__(self) -> None:
        if self.simulation_days < 1 or self.simulation_seeds < 1:
            raise ValueError("the simulation needs at least one day and one seed")
        if not 0 <= self.control_share < 1:
            raise ValueError(f"bandit_control_share must be in [0, 1), got {self.control_share}")


def policy_settings(values: dict) -> PolicySettings:
    return settings_from_vars(PolicySettings, "bandit", values)


def simulation_settings(values: dict) -> SimulationSettings:
    return settings_from_vars(SimulationSettings, "bandit", values)


def study_key(meta: dict) -> dict:
    """The bandit studies' key (metro_offers.studies): the live ranker the policies build on
    and every bandit setting. The simulation starts at the run date of the period's first
    build; later builds of the period reuse it."""
    ranker = live_entry(Path(meta["model_store_dir"]))
    settings = {name: value for name, value in meta.items() if name.startswith("bandit_")}
    return studies.study_key(meta, ranker_model_version=ranker["model_version"] if ranker else None, settings=settings)
