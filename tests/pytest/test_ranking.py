"""The rankers: metrics and corrections by hand, native artifacts, time validation, the
registry and the retrain decision."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from metro_offers import ranking

RUN_DATE = dt.date(2026, 11, 1)


def synthetic_examples(n=6_000, seed=0) -> pd.DataFrame:
    """Examples whose label depends on affinity, bought-before and discount, over 12 weeks."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "recency_days": rng.integers(1, 60, n).astype(float),
            "frequency": rng.integers(0, 50, n),
            "monetary": rng.gamma(2, 500, n),
            "avg_basket_value": rng.gamma(2, 40, n),
            "promo_affinity": rng.beta(2, 30, n),
            "category_entropy": rng.uniform(0, 2.5, n),
            "tenure_days": rng.integers(0, 1000, n),
            "discount_pct": rng.choice([0.1, 0.2, 0.3], n),
            "margin_impact": rng.uniform(0.2, 1.2, n),
            "days_until_expiry": rng.integers(0, 60, n),
            "historical_redemption_rate": rng.beta(2, 40, n),
            "bought_before": rng.random(n) < 0.4,
            "category_affinity_score": rng.beta(1, 8, n),
            "price_sensitivity_match": rng.uniform(0, 0.3, n),
            "days_since_last_category_purchase": np.where(rng.random(n) < 0.1, np.nan, rng.integers(1, 90, n)),
            "segment": rng.choice(list(ranking.SEGMENT_LEVELS), n),
            "category_id": rng.integers(1, 21, n),
        }
    )
    logit = -4 + 8 * frame.category_affinity_score + 1.5 * frame.bought_before + 4 * frame.discount_pct
    frame["label"] = rng.random(n) < 1 / (1 + np.exp(-logit))
    week = rng.integers(0, 12, n)
    frame["feature_as_of_date"] = pd.Timestamp("2026-07-06") + pd.to_timedelta(7 * week, unit="D")
    frame["impression_date"] = frame.feature_as_of_date + pd.to_timedelta(rng.integers(0, 7, n), unit="D")
    frame["in_training_sample"] = frame.label | (rng.random(n) < 0.5)
    frame["impression_id"] = np.arange(1, n + 1)
    return frame


def test_auc_by_hand_and_against_scikit_learn():
    # positives score 0.9 and 0.3, negatives 0.8 and 0.1: 3 of the 4 pairs are ordered right
    assert ranking.auc(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.3, 0.1])) == 0.75
    assert ranking.auc(np.array([1, 0]), np.array([0.5, 0.5])) == 0.5  # a tie counts half
    assert np.isnan(ranking.auc(np.array([1, 1]), np.array([0.2, 0.3])))
    rng = np.random.default_rng(1)
    labels, scores = rng.random(500) < 0.3, rng.integers(0, 20, 500)  # many ties
    assert ranking.auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores))


def test_negative_sampling_correction_by_hand():
    # trained on a quarter of the negatives, a model that says 0.5 means 0.125 / (0.125 + 0.5)
    np.testing.assert_allclose(ranking.undo_negative_sampling(np.array([0.5, 0.0, 1.0]), 0.25), [0.2, 0.0, 1.0])
    np.testing.assert_allclose(ranking.undo_negative_sampling(np.array([0.3]), 1.0), [0.3])


def test_time_split_validates_on_the_latest_weeks():
    examples = synthetic_examples()
    fit, valid = ranking.time_split(examples)
    assert examples.feature_as_of_date[fit].max() < examples.feature_as_of_date[valid].min()
    assert examples.feature_as_of_date[valid].nunique() == round(12 * ranking.VALIDATION_SHARE)
    with pytest.raises(ValueError, match="two weeks"):
        ranking.time_split(examples.assign(feature_as_of_date=pd.Timestamp("2026-07-06")))


def test_feature_matrix_codes_and_refuses_missing_columns():
    examples = synthetic_examples(n=10)
    x = ranking.feature_matrix(examples)
    assert list(x.columns) == list(ranking.FEATURES)
    assert set(x.segment) <= {0.0, 1.0, 2.0, 3.0}
    assert x.bought_before.isin([0.0, 1.0]).all()
    with pytest.raises(KeyError, match="discount_pct"):
        ranking.feature_matrix(examples.drop(columns=["discount_pct"]))


def test_native_artifacts_round_trip(tmp_path):
    examples = synthetic_examples()
    x, y = ranking.feature_matrix(examples), examples.label.to_numpy(dtype=int)
    logistic = ranking.LogisticModel.fit(x, y)
    logistic.save(tmp_path / "model.json")
    np.testing.assert_allclose(ranking.LogisticModel.load(tmp_path / "model.json").predict(x), logistic.predict(x))
    assert json.loads((tmp_path / "model.json").read_text())["columns"][0] == "recency_days"
    boosted = ranking.LightGBMModel.fit(x, y, rounds=20)
    boosted.save(tmp_path / "model.txt")
    np.testing.assert_allclose(ranking.LightGBMModel.load(tmp_path / "model.txt").predict(x), boosted.predict(x))
    # both learn the signal in the data
    assert ranking.auc(y, logistic.predict(x)) > 0.7 and ranking.auc(y, boosted.predict(x)) > 0.7
    weights = dict(zip(logistic.columns, logistic.coefficients, strict=True))
    assert weights["category_affinity_score"] > 0 and weights["bought_before"] > 0


def test_contributions_add_up_to_the_prediction_and_importance_finds_the_signal(tmp_path):
    examples = synthetic_examples()
    x, y = ranking.feature_matrix(examples), examples.label.to_numpy(dtype=int)
    for model in (ranking.LogisticModel.fit(x, y), ranking.LightGBMModel.fit(x, y, rounds=30)):
        parts = model.contributions(x.iloc[:50])
        assert list(parts.columns) == [*ranking.FEATURES, "bias"]
        log_odds = parts.sum(axis=1).to_numpy()
        np.testing.assert_allclose(1 / (1 + np.exp(-log_odds)), model.predict(x.iloc[:50]), rtol=1e-6)
        importance = model.importance()
        # the label depends on affinity, bought-before and discount only: the first two lead
        assert set(importance.nlargest(2).index) == {"category_affinity_score", "bought_before"}
        kind = "model.json" if isinstance(model, ranking.LogisticModel) else "model.txt"
        model.save(tmp_path / kind)
        name = "logistic_regression" if kind == "model.json" else "lightgbm"
        again = ranking.model_from_text(name, (tmp_path / kind).read_text())
        np.testing.assert_allclose(again.predict(x.iloc[:50]), model.predict(x.iloc[:50]))


def test_training_registers_the_better_model_and_scoring_reuses_it(tmp_path):
    examples = synthetic_examples()
    candidates = synthetic_examples(n=300, seed=5).assign(customer_id=np.arange(300), offer_id=1)
    scores = ranking.ranker_scores(candidates, examples, RUN_DATE, tmp_path, force=False, echo=lambda _: None)
    [entry] = ranking.read_registry(tmp_path)
    aucs = {m: entry[f"validation_auc_{m}"] for m in ("logistic_regression", "lightgbm")}
    assert entry["chosen_model"] == max(aucs, key=aucs.get)
    assert entry["retrain_reason"] == "no registered model"
    assert entry["training_rows"] == int(examples.in_training_sample.sum())
    assert entry["negative_keep_rate"] == pytest.approx(examples[~examples.label].in_training_sample.mean())
    assert scores.score.between(0, 1).all() and (scores.model_version == entry["model_version"]).all()
    # a second build reuses the registered model: same scores, no new registry line
    again = ranking.ranker_scores(candidates, examples, RUN_DATE, tmp_path, force=False, echo=lambda _: None)
    pd.testing.assert_frame_equal(again, scores)
    assert len(ranking.read_registry(tmp_path)) == 1
    # forced, it trains again and registers the new model
    ranking.ranker_scores(candidates, examples, RUN_DATE, tmp_path, force=True, echo=lambda _: None)
    entries = ranking.read_registry(tmp_path)
    assert len(entries) == 2 and entries[-1]["retrain_reason"] == "forced by var force_retrain"
    assert entries[0]["model_version"] != entries[1]["model_version"]
    assert set(ranking.registry_frame(tmp_path).model_version) == {e["model_version"] for e in entries}
    importance = ranking.feature_importance(tmp_path)
    assert (importance.model_version == entries[-1]["model_version"]).all()
    assert importance.importance_share.sum() == pytest.approx(1.0) and len(importance) == len(ranking.FEATURES)


def test_training_without_positives_is_refused(tmp_path):
    examples = synthetic_examples().assign(label=False)
    with pytest.raises(ValueError, match="no positive"):
        ranking.train(examples, examples, RUN_DATE, tmp_path, "test", echo=lambda _: None)


def test_scoring_in_batches_equals_scoring_at_once_and_the_sample_is_deterministic(tmp_path):
    import duckdb

    examples = synthetic_examples()
    candidates = synthetic_examples(n=1_000, seed=5).assign(customer_id=np.arange(1_000), offer_id=1)
    whole = ranking.ranker_scores(candidates, examples, RUN_DATE, tmp_path, force=False, echo=lambda _: None)
    batches = [candidates.iloc[i : i + 300] for i in range(0, 1_000, 300)]
    batched = ranking.ranker_scores(
        batches, examples, RUN_DATE, tmp_path, force=False, reference=candidates, echo=lambda _: None
    )
    pd.testing.assert_frame_equal(batched, whole)
    with pytest.raises(ValueError, match="reference sample"):
        ranking.ranker_scores(iter(batches), examples, RUN_DATE, tmp_path, force=False, echo=lambda _: None)
    relation = duckdb.from_df(candidates[["customer_id", "offer_id", "recency_days"]])
    assert len(ranking.candidate_sample(relation, 5_000)) == 1_000  # smaller than the cap: every row
    sample = ranking.candidate_sample(relation, 250)
    assert 150 < len(sample) < 350  # about a quarter: one hash class in four
    pd.testing.assert_frame_equal(sample, ranking.candidate_sample(relation, 250))
