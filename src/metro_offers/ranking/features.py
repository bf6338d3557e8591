"""The rankers' feature schema and the model matrix.

The list of ranker features is declared once, in dbt_project.yml (vars
ranker_numeric_features and ranker_categorical_features): the SQL side computes them in one
macro (``ranker_features``) for training examples and every candidate pool, and this module
reads the same vars; ``tests/pytest/test_ranking.py`` checks the list against the contracts
of ``candidate_features``, ``pool_examples`` and ``training_examples``. The pair's rank in
each candidate strategy (``rank_by_<strategy>``) is a feature too; its columns follow var
candidate_quotas, so they are found in the frame rather than listed here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metro_offers.reference import SEGMENTS
from metro_offers.var_settings import project_vars

SEGMENT_LEVELS = SEGMENTS  # the order of the segment codes the models see
# declared in dbt_project.yml (vars ranker_numeric_features, ranker_categorical_features)
NUMERIC_FEATURES = tuple(project_vars()["ranker_numeric_features"])
CATEGORICAL_FEATURES = tuple(project_vars()["ranker_categorical_features"])
STRATEGY_RANK_PREFIX = "rank_by_"
# what the pool rankers read besides the features (nothing more: the frames are large)
POOL_KEY_COLUMNS = ("pool", "customer_id", "offer_id")
POOL_LABEL_COLUMNS = ("redeemed_in_window", "relevant_offers")


def strategy_rank_features(columns) -> tuple[str, ...]:
    """The rank_by_<strategy> columns among ``columns``, sorted."""
    return tuple(sorted(c for c in columns if c.startswith(STRATEGY_RANK_PREFIX)))


def ranker_features(columns) -> tuple[str, ...]:
    """Every ranker feature a frame with these columns carries: the fixed ones and the
    candidate strategies' ranks."""
    return NUMERIC_FEATURES + strategy_rank_features(columns) + CATEGORICAL_FEATURES


def numeric_features(features) -> tuple[str, ...]:
    return tuple(f for f in features if f not in CATEGORICAL_FEATURES)


def feature_matrix(frame: pd.DataFrame, features=None) -> pd.DataFrame:
    """The model inputs: numeric features as floats (nulls as NaN, booleans as 0/1), the
    segment as its code in SEGMENT_LEVELS and the category id as a number. ``features``
    defaults to every ranker feature the frame carries."""
    features = tuple(features) if features is not None else ranker_features(frame.columns)
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise KeyError(f"feature columns missing from the frame: {missing}")
    out = pd.DataFrame(index=frame.index)
    for column in numeric_features(features):
        out[column] = pd.to_numeric(frame[column].astype("float64"), errors="raise")
    if "segment" in features:
        codes = pd.Categorical(frame["segment"], categories=SEGMENT_LEVELS).codes.astype("float64")
        out["segment"] = np.where(codes < 0, np.nan, codes)
    if "category_id" in features:
        out["category_id"] = frame["category_id"].astype("float64")
    return out[list(features)]
