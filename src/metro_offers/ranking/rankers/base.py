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
    ranking data; baselines are one-line rules that ``fit`` returns as they are. An artifact
    is one file in a native format (JSON, LightGBM's model text, safetensors), never a pickle."""

    name: ClassVar[str]  # the method name in the registry, evaluation and recommendations
    explanation: ClassVar[str]  # what explain()'s parts are
    importance_kind: ClassVar[str]  # what importance() measures
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
    def to_bytes(self) -> bytes:
        """The artifact's content."""

    @classmethod
    @abstractmethod
    def from_bytes(cls, data: bytes) -> Ranker: ...

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

    def history(self) -> list[dict]:
        """Per epoch of an iterative fit, its losses and validation metric (empty for the others)."""
        return []

    def save(self, folder: Path) -> Path:
        path = Path(folder) / self.artifact_name
        path.write_bytes(self.to_bytes())
        return path

    @classmethod
    def load(cls, path: Path) -> Ranker:
        return cls.from_bytes(Path(path).read_bytes())
