"""The ranker interface every ranker implements: baselines, logistic regression, LightGBM and
any later one (a new ranker is a module with a subclass plus one line in ``RANKERS``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from metro_offers.ranking.data import RankingData


class Ranker(ABC):
    """Scores (customer, offer) rows; higher ranks first. ``learned`` rankers are fitted on
    ranking data; baselines are one-line rules that ``fit`` returns as they are. Artifacts
    are one native text file (JSON, LightGBM's model text), never a pickle."""

    name: ClassVar[str]  # the method name in the registry, evaluation and recommendations
    learned: ClassVar[bool] = True
    artifact_name: ClassVar[str] = "model.json"
    features: tuple[str, ...]  # the feature columns score() reads

    @classmethod
    @abstractmethod
    def fit(cls, train: RankingData, valid: RankingData | None = None, parameters: dict | None = None) -> Ranker:
        """Fit on ``train``; ``valid`` (a later time window) may stop the fit early.
        ``parameters`` (from ``parameters()`` of an earlier fit) repeat that fit's choices on
        other data without validation."""

    @abstractmethod
    def score(self, x: pd.DataFrame) -> np.ndarray:
        """One score per row of a feature matrix (metro_offers.ranking.features.feature_matrix)."""

    @abstractmethod
    def to_text(self) -> str:
        """The artifact's content."""

    @classmethod
    @abstractmethod
    def from_text(cls, text: str) -> Ranker: ...

    @abstractmethod
    def explain(self, x: pd.DataFrame) -> pd.DataFrame:
        """Each feature's additive contribution to each row's score, plus the constant as
        'bias' (the columns: self.features and 'bias')."""

    @abstractmethod
    def importance(self) -> pd.Series:
        """How much the ranker relies on each feature (indexed by feature)."""

    def parameters(self) -> dict:
        """What a refit on other data needs to repeat this fit (e.g. boosting rounds)."""
        return {}

    def save(self, folder: Path) -> Path:
        path = Path(folder) / self.artifact_name
        path.write_text(self.to_text())
        return path

    @classmethod
    def load(cls, path: Path) -> Ranker:
        return cls.from_text(Path(path).read_text())
