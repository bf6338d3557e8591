"""Scoring the serving pool with the live ranker, in batches so memory stays flat as the
pool grows. The score is the chosen ranker's calibrated P(redeemed in the next window);
recommendation_source says whether a learned ranker or a baseline produced it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

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


SCORE_COLUMNS = {
    "customer_id": "int64",
    "offer_id": "int64",
    "score": "float64",
    "model_version": "string",
    "recommendation_source": "string",
}


def scored_batches(batches: Iterable[pd.DataFrame], entry: dict) -> Iterator[pd.DataFrame]:
    """SCORE_COLUMNS for the candidates of each batch, one frame a batch."""
    model = load_model(entry)
    source = recommendation_source(entry)
    for batch in batches:
        raw = model.score(feature_matrix(batch, model.features)) if len(batch) else np.zeros(0)
        yield pd.DataFrame(
            {
                "customer_id": batch["customer_id"].to_numpy(dtype="int64"),
                "offer_id": batch["offer_id"].to_numpy(dtype="int64"),
                "score": calibrated(raw, entry["calibration"]),
                "model_version": entry["model_version"],
                "recommendation_source": source,
            }
        )


def score_candidates(batches: Iterable[pd.DataFrame], entry: dict) -> pd.DataFrame:
    """SCORE_COLUMNS for every candidate of the batches, in one frame."""
    parts = list(scored_batches(batches, entry))
    if not parts:
        return pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in SCORE_COLUMNS.items()})
    return pd.concat(parts, ignore_index=True)


def candidate_sample(relation, max_rows: int) -> pd.DataFrame:
    """A deterministic sample of at most about ``max_rows`` rows of a DuckDB relation of
    candidates (every row when it is smaller), by the hash of (customer, offer). Drift and the
    drift reference are measured on it."""
    return hash_sample(relation, max_rows, "customer_id, offer_id").df()
