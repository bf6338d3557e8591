"""The one-line rules every learned ranker must beat, as rankers: P-TopFreq (the customer's
own orders of the offer's products), segment popularity and global popularity of the offer's
products. Selection compares them with the learned rankers on the same validation pool, and
the build serves one when no learned ranker beats it."""

from __future__ import annotations

import json
from typing import ClassVar

import numpy as np
import pandas as pd

from metro_offers.ranking.data import RankingData
from metro_offers.ranking.rankers.base import Ranker


class Baseline(Ranker):
    learned = False
    explanation = "the rule's own value (the tie-break's share apart)"
    importance_kind = "the baseline's rule"
    score_column: ClassVar[str]  # the feature the rule ranks by
    tie_break_column: ClassVar[str | None] = None  # ranks ties (a popularity, made < 1)

    def __init__(self) -> None:
        self.features = tuple(c for c in (self.score_column, self.tie_break_column) if c)

    @classmethod
    def fit(cls, train: RankingData | None = None, valid=None, parameters=None) -> Baseline:
        return cls()

    def score(self, x: pd.DataFrame) -> np.ndarray:
        score = x[self.score_column].fillna(0.0).to_numpy(dtype=float)
        if self.tie_break_column:
            tie = x[self.tie_break_column].fillna(0.0).to_numpy(dtype=float)
            score = score + 0.5 * tie / (1.0 + tie)  # in [0, 0.5): never outweighs one order
        return score

    def to_bytes(self) -> bytes:
        return json.dumps({"baseline": self.name, "features": list(self.features)}).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Baseline:
        return cls()

    def explain(self, x: pd.DataFrame) -> pd.DataFrame:
        frame = pd.DataFrame(0.0, index=x.index, columns=[*self.features, "bias"])
        frame[self.score_column] = x[self.score_column].fillna(0.0).to_numpy(dtype=float)
        if self.tie_break_column:
            frame[self.tie_break_column] = self.score(x) - frame[self.score_column]
        return frame

    def importance(self) -> pd.Series:
        return pd.Series(1.0, index=[self.score_column])


class PTopFreq(Baseline):
    name = "p_topfreq"
    score_column = "offer_product_orders"
    tie_break_column = "offer_product_popularity"


class SegmentPopularity(Baseline):
    name = "segment_popularity"
    score_column = "offer_product_segment_popularity"


class GlobalPopularity(Baseline):
    name = "global_popularity"
    score_column = "offer_product_popularity"
