"""Logistic regression over the pool rows (pointwise: P(redeemed in the window | candidate)),
stored as plain numbers: median imputation, missing flags, one-hot categoricals, standard
scaling, weights. Scoring needs numpy only."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from metro_offers.ranking.data import RankingData
from metro_offers.ranking.features import CATEGORICAL_FEATURES, numeric_features
from metro_offers.ranking.rankers.base import Ranker

C = 1.0  # inverse regularisation strength


@dataclass
class _Weights:
    features: list[str]
    medians: dict[str, float]
    category_levels: dict[str, list[float]]
    columns: list[str]
    means: list[float]
    scales: list[float]
    coefficients: list[float]
    intercept: float


class LogisticRegressionRanker(Ranker):
    name = "logistic_regression"
    explanation = "standardised value x weight of the logistic regression (log-odds)"
    importance_kind = "largest standardised weight"

    def __init__(self, weights: _Weights) -> None:
        self.weights = weights
        self.features = tuple(weights.features)

    def _design(self, x: pd.DataFrame) -> np.ndarray:
        w = self.weights
        numeric = numeric_features(w.features)
        parts = [x[c].fillna(w.medians[c]).to_numpy(dtype=float) for c in numeric]
        parts += [x[c].isna().to_numpy(dtype=float) for c in numeric if f"{c}__missing" in w.columns]
        for column, levels in w.category_levels.items():
            parts += [(x[column].to_numpy() == level).astype(float) for level in levels]
        return np.column_stack(parts)

    def _standardised(self, x: pd.DataFrame) -> np.ndarray:
        return (self._design(x) - np.asarray(self.weights.means)) / np.asarray(self.weights.scales)

    def score(self, x: pd.DataFrame) -> np.ndarray:
        z = self._standardised(x) @ np.asarray(self.weights.coefficients) + self.weights.intercept
        return 1.0 / (1.0 + np.exp(-z))

    @classmethod
    def fit(cls, train: RankingData, valid=None, parameters=None) -> LogisticRegressionRanker:
        from sklearn.linear_model import LogisticRegression

        x, y = train.x, train.label.astype(int)
        features = list(x.columns)
        numeric = numeric_features(features)
        medians = {c: float(x[c].median()) if x[c].notna().any() else 0.0 for c in numeric}
        columns = list(numeric) + [f"{c}__missing" for c in numeric if x[c].isna().any()]
        levels = {c: sorted(float(v) for v in x[c].dropna().unique()) for c in CATEGORICAL_FEATURES if c in features}
        columns += [f"{c}={v:g}" for c, values in levels.items() for v in values]
        model = cls(_Weights(features, medians, levels, columns, [], [], [], 0.0))
        design = model._design(x)
        means, scales = design.mean(axis=0), design.std(axis=0)
        scales[scales == 0] = 1.0
        fitted = LogisticRegression(C=C, max_iter=1000).fit((design - means) / scales, y)
        model.weights.means, model.weights.scales = means.tolist(), scales.tolist()
        model.weights.coefficients = fitted.coef_[0].tolist()
        model.weights.intercept = float(fitted.intercept_[0])
        return model

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self.weights), indent=1).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> LogisticRegressionRanker:
        return cls(_Weights(**json.loads(data)))

    def _owners(self) -> list[str]:
        """The feature each design column belongs to."""
        return [c.split("=")[0].removesuffix("__missing") for c in self.weights.columns]

    def explain(self, x: pd.DataFrame) -> pd.DataFrame:
        """Each feature's additive part of the log-odds (standardised value x weight, summed
        over its one-hot and missing-flag columns), plus the intercept as 'bias'."""
        parts = self._standardised(x) * np.asarray(self.weights.coefficients)
        frame = pd.DataFrame(parts, columns=self._owners(), index=x.index).T.groupby(level=0).sum().T
        frame["bias"] = self.weights.intercept
        return frame.reindex(columns=[*self.features, "bias"], fill_value=0.0)

    def importance(self) -> pd.Series:
        """The largest absolute standardised weight among each feature's columns."""
        weights = pd.Series(np.abs(self.weights.coefficients), index=self._owners())
        return weights.groupby(level=0).max().reindex(list(self.features))
