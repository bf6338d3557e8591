"""Champion and challengers: which ranker the build serves.

Every ranker in ``RANKERS`` (the baselines and the learned ones) ranks the same validation
pool, ``training_1`` (the window just before the evaluation cutoff); the learned ones are
fitted on the older training pools (``training_2`` ..) first. The one with the best NDCG@10
there is chosen, a learned ranker only when it beats every baseline (ties go to the
baseline). The chosen ranker is then refitted on every labelled pool up to run_date with the
parameters validation chose, and its scores are calibrated (Platt) on the validation pool
into P(redeemed in the next window), so a served score reads as a probability whatever the
ranker.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from metro_offers.pools import VALIDATION_POOL, is_training_pool
from metro_offers.ranking.data import RankingData
from metro_offers.ranking.features import ranker_features
from metro_offers.ranking.rankers import RANKERS, Ranker

K = 10


@dataclass
class Selection:
    chosen: str
    validation: pd.DataFrame  # one row per ranker: method, learned, ndcg_at_10, auc
    parameters: dict[str, dict]  # per ranker, what a refit repeats
    histories: dict[str, list[dict]]  # per iterative ranker, each epoch's losses and validation NDCG
    calibration: dict[str, float]  # the chosen ranker's score -> P(redeemed in the window)
    features: tuple[str, ...]
    validation_rows: int
    rankers: tuple[str, ...]  # every ranker compared (a learned one without training data is skipped)

    @property
    def best_baseline(self) -> pd.Series:
        baselines = self.validation[~self.validation.learned]
        return baselines.loc[baselines.ndcg_at_10.idxmax()]


def select_ranker(examples: pd.DataFrame, rankers=None, k: int = K, echo=print) -> Selection:
    """Fit the learned rankers on the training pools older than the validation pool, rank
    the validation pool with every ranker and choose the best NDCG@k."""
    features = ranker_features(examples.columns)
    fit, valid = validation_split(examples, features)
    if not valid.label.any():
        raise ValueError(
            f"the validation pool {VALIDATION_POOL} has no redemption: not enough history before the evaluation "
            "cutoff to choose a ranker (var ranker_training_windows, evaluation_holdout_days)"
        )
    return compare_rankers(fit, valid, features, rankers, k, VALIDATION_POOL, echo)


def validation_split(examples: pd.DataFrame, features) -> tuple[RankingData | None, RankingData]:
    """(the training pools older than the validation pool or None without any, the
    validation pool) of pool_examples, as ranking data."""
    valid_rows = examples["pool"] == VALIDATION_POOL
    fit_rows = is_training_pool(examples["pool"]) & ~valid_rows
    fit = RankingData.from_pool_examples(examples[fit_rows], features) if fit_rows.any() else None
    return fit, RankingData.from_pool_examples(examples[valid_rows], features)


def compare_rankers(
    fit: RankingData | None,
    valid: RankingData,
    features,
    rankers=None,
    k: int = K,
    valid_name: str = "validation",
    echo=print,
) -> Selection:
    """Every ranker ranks ``valid`` (the learned ones fitted on ``fit`` first, stopping
    early on ``valid``); the best NDCG@k is chosen, a baseline on ties."""
    rankers = rankers or RANKERS
    if fit is not None and not fit.label.any():
        fit = None
    rows, parameters, histories, scores = [], {}, {}, {}
    for name, ranker in rankers.items():
        if ranker.learned and fit is None:
            echo(f"[ranker] {name}: no labelled data before {valid_name}, not trained")
            continue
        model = ranker.fit(fit, valid)
        scores[name] = model.score(valid.x)
        parameters[name] = model.parameters()
        if model.history():
            histories[name] = model.history()
        rows.append(
            {
                "method": name,
                "learned": ranker.learned,
                "ndcg_at_10": valid.ndcg(scores[name], k),
                "auc": valid.auc(scores[name]),
            }
        )
    validation = pd.DataFrame(rows)
    # the first best wins: baselines come first, so a learned ranker must be strictly better
    chosen = validation.loc[validation.ndcg_at_10.idxmax(), "method"]
    echo(
        f"[ranker] validation NDCG@{k} on {valid_name}: "
        + ", ".join(f"{r.method} {r.ndcg_at_10:.4f}" for r in validation.itertuples())
        + f" -> {chosen}"
    )
    return Selection(
        chosen=chosen,
        validation=validation,
        parameters=parameters,
        histories=histories,
        calibration=platt_calibration(valid.label, scores[chosen]),
        features=tuple(features),
        validation_rows=len(valid),
        rankers=tuple(rankers),
    )


def fit_ranker(name: str, frame: pd.DataFrame, parameters: dict, features) -> Ranker:
    """Refit a ranker on the pools in ``frame`` with the parameters validation chose."""
    return RANKERS[name].fit(RankingData.from_pool_examples(frame, features), None, parameters)


def platt_calibration(label: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """P(label | score) = 1 / (1 + exp(-(slope * score + intercept))), fitted by logistic
    regression on one validation pool; monotone, so it never changes a ranking."""
    from sklearn.linear_model import LogisticRegression

    score = np.asarray(score, dtype=float)
    if np.ptp(score) == 0 or label.all() or not label.any():
        rate = float(np.clip(np.mean(label), 1e-6, 1 - 1e-6))
        return {"slope": 0.0, "intercept": float(np.log(rate / (1 - rate)))}
    fitted = LogisticRegression(C=1e6, max_iter=1000).fit(score.reshape(-1, 1), label.astype(int))
    return {"slope": float(fitted.coef_[0, 0]), "intercept": float(fitted.intercept_[0])}


def calibrated(score: np.ndarray, calibration: dict[str, float]) -> np.ndarray:
    z = calibration["slope"] * np.asarray(score, dtype=float) + calibration["intercept"]
    return 1.0 / (1.0 + np.exp(-z))
