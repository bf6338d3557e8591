"""Scoring the serving pool with the live ranker, in batches so memory stays flat as the
pool grows. The score is the chosen ranker's calibrated P(redeemed in the next window);
recommendation_source says whether a learned ranker or a baseline produced it."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from metro_offers.hash_sample import hash_sample
from metro_offers.ranking.features import feature_matrix
from metro_offers.ranking.rankers import BASELINES
from metro_offers.ranking.registry import load_model
from metro_offers.ranking.selection import calibrated

SCORING_BATCH_ROWS = 500_000  # candidates scored at a time
LEARNED_SOURCE = "ranker"  # recommendation_source of a learned ranker's lists; a baseline's is its name
RECOMMENDATION_SOURCES = (LEARNED_SOURCE, *BASELINES)


def recommendation_source(entry: dict) -> str:
    return LEARNED_SOURCE if entry["chosen_is_learned"] else entry["chosen_model"]


def score_candidates(batches: Iterable[pd.DataFrame], entry: dict) -> pd.DataFrame:
    """customer_id, offer_id, score, model_version and recommendation_source for every
    candidate of the batches."""
    model = load_model(entry)
    parts = []
    for batch in batches:
        raw = model.score(feature_matrix(batch, model.features)) if len(batch) else np.zeros(0)
        parts.append(
            pd.DataFrame(
                {
                    "customer_id": batch["customer_id"].to_numpy(dtype="int64"),
                    "offer_id": batch["offer_id"].to_numpy(dtype="int64"),
                    "score": calibrated(raw, entry["calibration"]),
                }
            )
        )
    empty = pd.DataFrame({"customer_id": [], "offer_id": [], "score": []}).astype(
        {"customer_id": "int64", "offer_id": "int64", "score": "float64"}
    )
    scored = pd.concat(parts, ignore_index=True) if parts else empty
    return scored.assign(model_version=entry["model_version"], recommendation_source=recommendation_source(entry))


def candidate_sample(relation, max_rows: int) -> pd.DataFrame:
    """A deterministic sample of at most about ``max_rows`` rows of a DuckDB relation of
    candidates (every row when it is smaller), by the hash of (customer, offer). Drift and the
    drift reference are measured on it."""
    return hash_sample(relation, max_rows, "customer_id, offer_id").df()
