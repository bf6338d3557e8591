"""Training the uplift learners on uplift_examples' train split.

The train split's impressions are cut once more in time: boosters learn from the impressions
whose outcome window closed by ``cutoff - validation_days`` and early-stop on those shown from
that day on (rows in between are in neither), as the learners themselves are judged on the
window after the cutoff."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from metro_offers.ranking.features import feature_matrix, ranker_features
from metro_offers.uplift.learners import LEARNERS, UpliftData, UpliftSettings, fit_learners
from metro_offers.uplift.metrics import targeting_metrics, targeting_order

OUTCOME = "bought_offer_products"
AUTO = "auto"  # var uplift_serving_learner: the best Qini on the validation slice
NO_CONTROL_GROUP = (
    "no randomised control group among the impressions: uplift is not estimated (without one, shown-versus-held-out "
    "outcomes say nothing causal; The Complete Journey's campaigns were targeted, not randomised)"
)


def uplift_data(frame: pd.DataFrame, features) -> UpliftData:
    return UpliftData(
        x=feature_matrix(frame, features).reset_index(drop=True),
        shown=frame["shown"].to_numpy(dtype=bool),
        outcome=frame[OUTCOME].to_numpy(dtype=bool),
    )


def missing_arm(frame: pd.DataFrame) -> str | None:
    """Why learners cannot be fitted on these rows (an arm without rows), or None."""
    shown = frame["shown"].to_numpy(dtype=bool)
    if not (~shown).any():
        return NO_CONTROL_GROUP
    if not shown.any():
        return "no shown impressions in the training window: uplift is not estimated"
    return None


def train(
    examples: pd.DataFrame,
    cutoff: dt.date,
    validation_days: int,
    settings: UpliftSettings,
    echo=print,
    features: tuple[str, ...] | None = None,
) -> tuple[dict, dict]:
    """The fitted learners and their meta (windows, rows, shown share, features).
    ``examples``: uplift_examples rows of the train split; ``features``: every ranker feature
    they carry unless given."""
    # a fixed row order: DuckDB returns rows in no set order, and bagging samples by position
    examples = examples.sort_values("impression_id", kind="stable").reset_index(drop=True)
    validation_start = cutoff - dt.timedelta(days=validation_days)
    end = pd.to_datetime(examples["outcome_window_end"]).dt.date
    start = pd.to_datetime(examples["impression_date"]).dt.date
    fit_rows = (end <= validation_start).to_numpy()
    valid_rows = (start >= validation_start).to_numpy()
    features = features or ranker_features(examples.columns)
    fit_frame, valid_frame = examples[fit_rows], examples[valid_rows]
    reason = missing_arm(fit_frame)
    if reason:
        raise ValueError(reason)
    train_data = uplift_data(fit_frame, features)
    valid_data = uplift_data(valid_frame, features) if missing_arm(valid_frame) is None else None
    if valid_data is None:
        echo("[uplift] the validation slice lacks an arm: boosters run var uplift_max_rounds without early stopping")
    learners = fit_learners(train_data, valid_data, settings, echo=echo)
    validation = {} if valid_data is None else validation_qini(learners, valid_data, settings.seed)
    for name, qini in validation.items():
        echo(
            f"[uplift] {LEARNERS[name].label}: Qini {qini:.5f} on the validation slice "
            f"({len(valid_data):,} impressions)"
        )
    meta = {
        "training_window_start": str(start[fit_rows].min()),
        "training_window_end": str(validation_start),
        "validation_start": str(validation_start),
        "training_rows": int(len(train_data)),
        "training_shown_rows": int(train_data.shown.sum()),
        "training_outcomes": int(train_data.outcome.sum()),
        "shown_share": float(np.mean(train_data.shown)),
        "features": list(features),
        "validation_rows": 0 if valid_data is None else len(valid_data),
        "validation_qini": validation,
    }
    return learners, meta


def validation_qini(learners: dict, valid: UpliftData, seed: int) -> dict[str, float]:
    """Each learner's Qini coefficient on the validation slice's impressions."""
    qini = {}
    for name, learner in learners.items():
        order = targeting_order(learner.predict(valid.x)["uplift"].to_numpy(), seed)
        metrics = targeting_metrics(valid.shown[order], valid.outcome[order])
        qini[name] = float(metrics["qini"])
    return qini


def serving_learner(requested: str, validation: dict[str, float]) -> str:
    """The learner var uplift_serving_learner names, or for ``auto`` the best validation Qini
    (the S-learner, the simplest, when there was no validation slice)."""
    if requested in LEARNERS:
        return requested
    if requested != AUTO:
        raise ValueError(f"var uplift_serving_learner is {requested!r}: one of {[*LEARNERS, AUTO]}")
    return max(validation, key=validation.get) if validation else "s_learner"
