"""LightGBM over the pool rows. ``LightGBMRanker`` trains for what is measured: LambdaRank
(NDCG) within each list (pool, customer), early-stopped on NDCG@10 of the validation pool.
``LightGBMBinaryRanker`` is the pointwise alternative (P(redeemed in the window)), kept to
compare the two (bench/ranker_training_choice.py). The artifact is LightGBM's model text.
Small trees with many rows per leaf: with 300 trees of 31 leaves the ranker overfitted the
few lists with a redemption and lost to P-TopFreq; shallow, regularised trees did not."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from metro_offers.ranking.data import RankingData
from metro_offers.ranking.features import CATEGORICAL_FEATURES
from metro_offers.ranking.rankers.base import Ranker

K = 10  # the list length the objective and early stopping look at
# every LightGBM model of the project (this ranker and the uplift learners): column and row
# bagging, L2, quiet, deterministic on the machine's two cores
SHARED_PARAMS = {
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 10.0,
    "verbosity": -1,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 2,
}
PARAMS = {"learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 100, **SHARED_PARAMS, "seed": 7}
MAX_ROUNDS = 300
EARLY_STOPPING_ROUNDS = 30
DEFAULT_ROUNDS = 100  # without a validation pool to stop on


class LightGBMRanker(Ranker):
    name = "lightgbm"
    explanation = "LightGBM's SHAP values on its ranking score (before calibration)"
    importance_kind = "total split gain"
    artifact_name = "model.txt"
    objective: ClassVar[dict] = {"objective": "lambdarank", "metric": "ndcg", "eval_at": [K]}

    def __init__(self, booster) -> None:
        self.booster = booster
        self.features = tuple(booster.feature_name())

    @classmethod
    def _dataset(cls, data: RankingData, reference=None):
        import lightgbm as lgb

        categorical = [c for c in CATEGORICAL_FEATURES if c in data.x.columns]
        dataset = lgb.Dataset(
            data.x, data.label.astype(int), categorical_feature=categorical, reference=reference, free_raw_data=False
        )
        if cls.objective["objective"] == "lambdarank":
            dataset.set_group(data.group_sizes)
        return dataset

    @classmethod
    def fit(cls, train: RankingData, valid: RankingData | None = None, parameters=None) -> LightGBMRanker:
        import lightgbm as lgb

        params = {**PARAMS, **cls.objective}
        if cls.objective["objective"] == "lambdarank":
            train = train.lists_with_positives()
        dataset = cls._dataset(train)
        if parameters is not None or valid is None:
            rounds = int((parameters or {}).get("rounds", DEFAULT_ROUNDS))
            return cls(lgb.train(params, dataset, num_boost_round=rounds))
        booster = lgb.train(
            params,
            dataset,
            num_boost_round=MAX_ROUNDS,
            valid_sets=[cls._dataset(valid, reference=dataset)],
            callbacks=[lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)],
        )
        return cls(booster)

    def parameters(self) -> dict:
        return {"rounds": int(self.booster.best_iteration or self.booster.current_iteration())}

    def score(self, x: pd.DataFrame) -> np.ndarray:
        return self.booster.predict(
            x[list(self.features)], num_iteration=self.parameters()["rounds"], num_threads=PARAMS["num_threads"]
        )

    def to_bytes(self) -> bytes:
        return self.booster.model_to_string(num_iteration=self.parameters()["rounds"]).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> LightGBMRanker:
        import lightgbm as lgb

        return cls(lgb.Booster(model_str=data.decode()))

    def explain(self, x: pd.DataFrame) -> pd.DataFrame:
        """SHAP contributions to the raw score (LightGBM's pred_contrib), plus 'bias'."""
        values = self.booster.predict(
            x[list(self.features)],
            pred_contrib=True,
            num_iteration=self.parameters()["rounds"],
            num_threads=PARAMS["num_threads"],
        )
        return pd.DataFrame(values, columns=[*self.features, "bias"], index=x.index)

    def importance(self) -> pd.Series:
        """Total gain of the splits on each feature."""
        gains = self.booster.feature_importance(importance_type="gain")
        return pd.Series(gains, index=self.booster.feature_name())


class LightGBMBinaryRanker(LightGBMRanker):
    name = "lightgbm_binary"
    objective: ClassVar[dict] = {"objective": "binary", "metric": "auc"}
