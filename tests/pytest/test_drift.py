"""PSI by hand, binning, severities and the retrain recommendation."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from metro_offers import drift
from metro_offers.pools import EVALUATION_POOL
from metro_offers.ranking.features import feature_matrix, ranker_features
from metro_offers.ranking.rankers import RANKERS
from metro_offers.ranking.registry import retrain_reason

SETTINGS = {
    "run_date": "2026-11-01",
    "psi_floor": 1e-4,
    "psi_warn": 0.10,
    "psi_alert": 0.25,
    "retrain_min_alert_features": 3,
}


def test_psi_by_hand():
    assert drift.psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5], floor=1e-4) == 0.0
    # (0.25 - 0.5) ln(0.25/0.5) + (0.75 - 0.5) ln(0.75/0.5) = 0.25 ln 2 + 0.25 ln 1.5
    expected = 0.25 * math.log(2) + 0.25 * math.log(1.5)
    assert drift.psi([0.5, 0.5], [0.25, 0.75], floor=1e-4) == pytest.approx(expected)
    assert expected == pytest.approx(0.274653, abs=1e-6)
    # disjoint: the empty bins count as the floor, so the value is large but finite
    disjoint = 2 * (1 - 1e-4) * math.log(1 / 1e-4)
    assert drift.psi([1.0, 0.0], [0.0, 1.0], floor=1e-4) == pytest.approx(disjoint)
    assert disjoint == pytest.approx(18.4188, abs=1e-3)


def test_a_value_on_a_bin_edge_stays_in_its_bin_whatever_its_last_bits():
    # 0.1 + 0.2 is 0.30000000000000004: a parallel sum in another order gives 0.3
    edges = np.array([0.0, 0.3, 1.0])
    for noisy in (0.1 + 0.2, 0.3, np.nextafter(0.3, 0)):
        np.testing.assert_allclose(drift.numeric_shares(np.array([noisy, 0.5]), edges), [0.0, 1.0, 0.0])
    # a real difference (the 8th significant digit) still moves it
    np.testing.assert_allclose(drift.numeric_shares(np.array([0.29999999, 0.5]), edges), [0.5, 0.5, 0.0])
    np.testing.assert_array_equal(
        drift.significant(np.array([123456789012.0, -0.000123456789012, 0.0])), [123456789000.0, -0.000123456789, 0.0]
    )


def test_numeric_shares_use_open_outer_bins_and_a_missing_bin():
    # edges 1, 2, 3 -> bins (-inf, 2) and [2, inf); 0 and 9 fall in the open outer bins
    shares = drift.numeric_shares(np.array([0.0, 1.0, 2.0, 3.0, 9.0, np.nan, np.nan, 1.5]), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(shares, [3 / 8, 3 / 8, 2 / 8])
    # a constant reference has one bin for every present value
    np.testing.assert_allclose(drift.numeric_shares(np.array([5.0, np.nan]), np.array([5.0])), [0.5, 0.5])


def frame(n=4_000, shift=0.0, seed=0) -> pd.DataFrame:
    from test_ranking import pool_examples

    examples = pool_examples(customers=n // 10, offers=10, seed=seed)
    examples = examples[examples.pool == EVALUATION_POOL].reset_index(drop=True)
    examples["recency_days"] += shift * 30
    examples["frequency"] = (examples["frequency"] * (1 - 0.8 * shift)).round()
    examples["monetary"] *= 1 - 0.8 * shift
    return examples


def test_identical_distributions_do_not_drift_and_shifted_ones_alert():
    reference = drift.reference_distribution(feature_matrix(frame()), bins=10)
    same = drift.feature_drift(reference, feature_matrix(frame()), floor=1e-4, warn=0.1, alert=0.25)
    assert np.allclose(same.psi, 0.0) and (same.severity == "none").all()
    assert set(same.feature) == set(ranker_features(frame().columns))
    # another sample of the same population: small PSI, no alert
    resampled = drift.feature_drift(reference, feature_matrix(frame(seed=1)), 1e-4, 0.1, 0.25)
    assert (resampled.severity != "alert").all()
    shifted = drift.feature_drift(reference, feature_matrix(frame(shift=1.0)), 1e-4, 0.1, 0.25)
    alerts = set(shifted.loc[shifted.severity == "alert", "feature"])
    assert {"recency_days", "frequency", "monetary"} <= alerts
    assert "discount_pct" not in alerts


def test_drift_report_recommends_retraining_from_three_alerts(tmp_path):
    reference = drift.reference_distribution(feature_matrix(frame()), bins=10)
    report = drift.drift_report(frame(shift=1.0), reference, "v1", SETTINGS)
    assert report.retrain_recommended.all() and (report.model_version == "v1").all()
    assert drift.drift_report(frame(seed=1), reference, "v1", SETTINGS).retrain_recommended.sum() == 0
    # the rule's boundary: exactly as many alerts as the var asks for retrains, one fewer does not
    alerts = int((report.severity == "alert").sum())
    assert alerts >= 3
    at = {**SETTINGS, "retrain_min_alert_features": alerts}
    assert drift.drift_report(frame(shift=1.0), reference, "v1", at).retrain_recommended.all()
    above = {**SETTINGS, "retrain_min_alert_features": alerts + 1}
    assert not drift.drift_report(frame(shift=1.0), reference, "v1", above).retrain_recommended.any()
    empty = drift.drift_report(frame(), None, None, SETTINGS)
    assert empty.empty and list(empty.columns) == list(report.columns)
    # typed like a full report, so the empty table's columns are not NULL-typed in DuckDB
    assert empty.dtypes.astype(str).tolist() == ["string"] * 4 + ["float64", "string", "bool"]
    # with a model registered, the ranker retrains on it, and reuses the model without it
    entry = {"model_version": "v1", "calibration": {"slope": 1, "intercept": 0}, "rankers": list(RANKERS)}
    (tmp_path / "registry.jsonl").write_text(json.dumps(entry) + "\n")
    assert retrain_reason(tmp_path, False, report).startswith("drift: ")
    assert retrain_reason(tmp_path, False, report.assign(retrain_recommended=False)) is None
    assert retrain_reason(tmp_path, True, None) == "forced by var force_retrain"
