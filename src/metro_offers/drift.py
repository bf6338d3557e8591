"""Population stability index (PSI) of the ranker's features.

PSI = sum over bins of (current - reference) * ln(current / reference), with the shares of
each bin. Numeric features use the reference's quantile bins (the outer edges open to
infinity) plus one bin for missing values; categorical features use one bin per level. An
empty bin's share is raised to ``floor`` first, so a bin seen on one side only adds a large
but finite term instead of infinity.

The reference is saved with each model (``reference.json``): the distribution of the
features the model scored on the day it was trained. The training sample is not used as the
reference: it is a different population (targeted impressions over a year, not every
customer's pool today) and differs from any day's candidates by design — on the default data
set 10 of 15 numeric features are above the alert threshold against it on the very day of
training (bench/drift_reference_check.py), so such a monitor could only ever cry wolf.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metro_offers.ranking.features import CATEGORICAL_FEATURES, feature_matrix

BINNING_DIGITS = 9


def psi(reference: np.ndarray, current: np.ndarray, floor: float) -> float:
    """PSI of two share vectors over the same bins (each summing to 1)."""
    reference = np.maximum(np.asarray(reference, dtype=float), floor)
    current = np.maximum(np.asarray(current, dtype=float), floor)
    return float(np.sum((current - reference) * np.log(current / reference)))


def reference_distribution(x: pd.DataFrame, bins: int) -> dict:
    """Per feature (column of x): quantile bin edges and the share of rows in each bin and
    missing (numeric), or the share of each level (categorical)."""
    reference = {}
    for column in (c for c in x.columns if c not in CATEGORICAL_FEATURES):
        values = x[column].to_numpy(dtype=float)
        present = values[~np.isnan(values)]
        edges = np.unique(np.quantile(present, np.linspace(0, 1, bins + 1))) if len(present) else np.array([])
        reference[column] = {"edges": edges.tolist(), "shares": numeric_shares(values, edges).tolist()}
    for column in (c for c in x.columns if c in CATEGORICAL_FEATURES):
        shares = x[column].astype(str).value_counts(normalize=True)
        reference[column] = {"levels": {str(k): float(v) for k, v in shares.items()}}
    return reference


def significant(x: np.ndarray, digits: int = BINNING_DIGITS) -> np.ndarray:
    """``x`` rounded to ``digits`` significant digits (zeros, infinities and NaN kept)."""
    x = np.asarray(x, dtype=float)
    rounded = x.copy()
    finite = np.isfinite(x) & (x != 0)
    scale = 10.0 ** (digits - 1 - np.floor(np.log10(np.abs(x[finite]))))
    rounded[finite] = np.round(x[finite] * scale) / scale
    return rounded


def numeric_shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Shares of values in the bins between edges (outermost bins open-ended), then missing.
    Values and edges are compared at BINNING_DIGITS significant digits: a feature that is a
    parallel float sum differs in its last bits from build to build, and a value on a
    quantile edge (the edges are data values) must not change bins with them."""
    values = np.asarray(values, dtype=float)
    missing = np.isnan(values)
    if len(edges) < 2:  # a constant (or empty) reference: one bin for every present value
        counts = np.array([(~missing).sum()])
    else:
        open_edges = significant(np.asarray(edges, dtype=float))
        open_edges[0], open_edges[-1] = -np.inf, np.inf
        counts = np.histogram(significant(values[~missing]), bins=open_edges)[0]
    total = max(1, len(values))
    return np.append(counts / total, missing.sum() / total)


def feature_drift(reference: dict, x: pd.DataFrame, floor: float, warn: float, alert: float) -> pd.DataFrame:
    """PSI and severity (none < warn <= warn < alert <= alert) of every feature of the
    reference."""
    rows = []
    for column in (c for c, ref in reference.items() if "edges" in ref):
        ref = reference[column]
        value = psi(ref["shares"], numeric_shares(x[column].to_numpy(dtype=float), np.asarray(ref["edges"])), floor)
        rows.append((column, "numeric", value))
    for column in (c for c, ref in reference.items() if "levels" in ref):
        ref_levels = reference[column]["levels"]
        current = x[column].astype(str).value_counts(normalize=True)
        levels = sorted(set(ref_levels) | set(current.index))
        value = psi([ref_levels.get(k, 0.0) for k in levels], [float(current.get(k, 0.0)) for k in levels], floor)
        rows.append((column, "categorical", value))
    frame = pd.DataFrame(rows, columns=["feature", "feature_kind", "psi"])
    frame["severity"] = np.select([frame.psi >= alert, frame.psi >= warn], ["alert", "warn"], "none")
    return frame


def drift_report(
    candidates: pd.DataFrame, reference: dict | None, model_version: str | None, settings: dict
) -> pd.DataFrame:
    """One row per feature: PSI of today's candidates against the live model's reference, its
    severity, and whether enough features are at alert to retrain. Empty without a model."""
    columns = ["run_date", "model_version", "feature", "feature_kind", "psi", "severity", "retrain_recommended"]
    if reference is None or candidates.empty:
        # typed, so the empty table has the columns of a full one (object columns become NULL-typed)
        types = {"psi": "float64", "retrain_recommended": "bool"}
        return pd.DataFrame({c: pd.Series(dtype=types.get(c, "string")) for c in columns})
    report = feature_drift(
        reference,
        feature_matrix(candidates, reference),
        floor=float(settings["psi_floor"]),
        warn=float(settings["psi_warn"]),
        alert=float(settings["psi_alert"]),
    )
    report.insert(0, "model_version", model_version)
    report.insert(0, "run_date", settings["run_date"])
    alerts = int((report.severity == "alert").sum())
    report["retrain_recommended"] = alerts >= int(settings["retrain_min_alert_features"])
    return report[columns]
