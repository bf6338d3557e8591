"""Meta-learners of the uplift P(buy | shown, x) - P(buy | not shown, x) with LightGBM base
learners (Kuenzel et al. 2019, "Metalearners for estimating heterogeneous treatment effects").

- S-learner: one outcome model with the treatment as a feature; uplift = f(x, 1) - f(x, 0).
- T-learner: an outcome model per arm; uplift = mu_shown(x) - mu_control(x).
- X-learner: T's outcome models impute each row's effect from the other arm's model
  (treated: y - mu_control(x); control: mu_shown(x) - y), an effect model per arm learns it,
  and uplift = g * tau_control(x) + (1 - g) * tau_shown(x) with g = P(shown). The offers'
  control groups are randomised with one share for every customer and offer, so g is that
  share: the shown share of the training impressions (the design, not a model of x).

causalml (0.18) was the first choice but cannot be installed beside dbt-core 1.11: it requires
black >= 26.1, which requires pathspec >= 1.0, and dbt-core pins pathspec < 0.13. The
formulas above follow causalml's ``BaseXLearner`` (fit and predict). Every booster early-stops
on a validation slice (the last days of the training window), so nothing is tuned on the
window the learners are judged on. Artifacts are LightGBM model text, one file per booster."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from metro_offers.ranking.features import CATEGORICAL_FEATURES
from metro_offers.ranking.rankers.lightgbm_ranker import SHARED_PARAMS

TREATMENT_FEATURE = "shown"  # the S-learner's extra input


@dataclasses.dataclass(frozen=True)
class UpliftSettings:
    """The base learners' settings: vars uplift_<field> (dbt_project.yml)."""

    learning_rate: float
    num_leaves: int
    min_data_in_leaf: int
    max_rounds: int
    early_stopping_rounds: int
    seed: int

    def lightgbm_params(self, objective: str) -> dict:
        return {
            "objective": objective,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_data_in_leaf,
            **SHARED_PARAMS,
            "seed": self.seed,
        }


@dataclasses.dataclass
class UpliftData:
    """Impressions: model inputs, whether the offer was shown (False: randomised control) and
    the outcome (bought the offer's products in the window)."""

    x: pd.DataFrame
    shown: np.ndarray
    outcome: np.ndarray

    def subset(self, rows: np.ndarray) -> UpliftData:
        rows = np.asarray(rows, dtype=bool)
        return UpliftData(self.x[rows].reset_index(drop=True), self.shown[rows], self.outcome[rows])

    def arm(self, shown: bool) -> UpliftData:
        return self.subset(self.shown == shown)

    def __len__(self) -> int:
        return len(self.shown)


def fit_booster(objective: str, x: pd.DataFrame, y: np.ndarray, valid, settings: UpliftSettings):
    """A LightGBM booster, early-stopped on ``valid`` = (x, y) when it has rows."""
    import lightgbm as lgb

    categorical = [c for c in CATEGORICAL_FEATURES if c in x.columns]
    train_set = lgb.Dataset(x, y.astype(float), categorical_feature=categorical, free_raw_data=False)
    params = settings.lightgbm_params(objective)
    if valid is None or len(valid[1]) == 0:
        return lgb.train(params, train_set, num_boost_round=settings.max_rounds)
    valid_set = lgb.Dataset(valid[0], valid[1].astype(float), categorical_feature=categorical, reference=train_set)
    return lgb.train(
        params,
        train_set,
        num_boost_round=settings.max_rounds,
        valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(settings.early_stopping_rounds, verbose=False)],
    )


def _predict(booster, x: pd.DataFrame) -> np.ndarray:
    return booster.predict(x, num_iteration=booster.best_iteration or None)


class UpliftLearner:
    """Fit on impressions, predict P(buy | shown), P(buy | not shown) and the uplift, save and
    load its boosters as LightGBM text."""

    name: ClassVar[str]
    label: ClassVar[str]
    parts: ClassVar[tuple[str, ...]]

    def __init__(self, boosters: dict, shown_share: float) -> None:
        self.boosters = boosters
        self.shown_share = shown_share

    @classmethod
    def fit(cls, train: UpliftData, valid: UpliftData | None, settings: UpliftSettings) -> UpliftLearner:
        raise NotImplementedError

    def predict(self, x: pd.DataFrame) -> pd.DataFrame:
        raise NotImplementedError

    def rounds(self) -> dict[str, int]:
        return {part: int(b.best_iteration or b.current_iteration()) for part, b in self.boosters.items()}

    def save(self, folder: Path) -> list[str]:
        files = []
        for part, booster in self.boosters.items():
            name = f"{self.name}.{part}.txt"
            booster.save_model(str(Path(folder) / name), num_iteration=booster.best_iteration or None)
            files.append(name)
        return files

    @classmethod
    def load(cls, folder: Path, shown_share: float) -> UpliftLearner:
        import lightgbm as lgb

        boosters = {part: lgb.Booster(model_file=str(Path(folder) / f"{cls.name}.{part}.txt")) for part in cls.parts}
        return cls(boosters, shown_share)


def _frame(p_shown: np.ndarray, p_control: np.ndarray, uplift: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"p_if_shown": p_shown, "p_if_not_shown": p_control, "uplift": uplift})


def _valid(data: UpliftData | None, x_fn=None, y=None):
    if data is None or len(data) == 0:
        return None
    return (x_fn(data) if x_fn else data.x, data.outcome if y is None else y)


class SLearner(UpliftLearner):
    name = "s_learner"
    label = "S-learner"
    parts = ("outcome",)

    @staticmethod
    def _with_treatment(x: pd.DataFrame, shown) -> pd.DataFrame:
        return x.assign(**{TREATMENT_FEATURE: np.broadcast_to(np.asarray(shown, dtype=float), len(x))})

    @classmethod
    def fit(cls, train, valid, settings):
        def inputs(d):
            return cls._with_treatment(d.x, d.shown)

        booster = fit_booster("binary", inputs(train), train.outcome, _valid(valid, inputs), settings)
        return cls({"outcome": booster}, float(train.shown.mean()))

    def predict(self, x):
        booster = self.boosters["outcome"]
        p_shown = _predict(booster, self._with_treatment(x, 1.0))
        p_control = _predict(booster, self._with_treatment(x, 0.0))
        return _frame(p_shown, p_control, p_shown - p_control)


class TLearner(UpliftLearner):
    name = "t_learner"
    label = "T-learner"
    parts = ("outcome_shown", "outcome_control")

    @classmethod
    def outcome_models(cls, train, valid, settings) -> dict:
        boosters = {}
        for part, shown in (("outcome_shown", True), ("outcome_control", False)):
            arm_valid = valid.arm(shown) if valid is not None else None
            arm = train.arm(shown)
            boosters[part] = fit_booster("binary", arm.x, arm.outcome, _valid(arm_valid), settings)
        return boosters

    @classmethod
    def fit(cls, train, valid, settings):
        return cls(cls.outcome_models(train, valid, settings), float(train.shown.mean()))

    def outcome_probabilities(self, x) -> tuple[np.ndarray, np.ndarray]:
        return _predict(self.boosters["outcome_shown"], x), _predict(self.boosters["outcome_control"], x)

    def predict(self, x):
        p_shown, p_control = self.outcome_probabilities(x)
        return _frame(p_shown, p_control, p_shown - p_control)


class XLearner(TLearner):
    name = "x_learner"
    label = "X-learner"
    parts = ("outcome_shown", "outcome_control", "effect_shown", "effect_control")

    @classmethod
    def fit(cls, train, valid, settings, outcome_models: dict | None = None):
        """``outcome_models``: a T-learner's boosters fitted on the same data, reused."""
        boosters = dict(outcome_models or TLearner.outcome_models(train, valid, settings))
        t = TLearner(boosters, float(train.shown.mean()))

        def imputed(data: UpliftData, shown: bool) -> np.ndarray:
            arm = data.arm(shown)
            p_shown, p_control = t.outcome_probabilities(arm.x)
            return arm.outcome - p_control if shown else p_shown - arm.outcome

        for part, shown in (("effect_shown", True), ("effect_control", False)):
            arm_valid = valid.arm(shown) if valid is not None and len(valid) else None
            effect_valid = (arm_valid.x, imputed(valid, shown)) if arm_valid is not None and len(arm_valid) else None
            boosters[part] = fit_booster(
                "regression", train.arm(shown).x, imputed(train, shown), effect_valid, settings
            )
        return cls(boosters, float(train.shown.mean()))

    def predict(self, x):
        p_shown, p_control = self.outcome_probabilities(x)
        g = self.shown_share
        uplift = g * _predict(self.boosters["effect_control"], x) + (1 - g) * _predict(self.boosters["effect_shown"], x)
        return _frame(p_shown, p_control, uplift)


LEARNERS: dict[str, type[UpliftLearner]] = {cls.name: cls for cls in (SLearner, TLearner, XLearner)}


def fit_learners(train: UpliftData, valid: UpliftData | None, settings: UpliftSettings, echo=print) -> dict:
    """Every learner of LEARNERS, the X-learner reusing the T-learner's outcome models."""
    fitted = {}
    for name, cls in LEARNERS.items():
        echo(f"[uplift] fitting the {cls.label} on {len(train):,} impressions ({int(train.shown.sum()):,} shown)")
        if cls is XLearner and "t_learner" in fitted:
            fitted[name] = XLearner.fit(train, valid, settings, outcome_models=fitted["t_learner"].boosters)
        else:
            fitted[name] = cls.fit(train, valid, settings)
    return fitted
