"""The rankers: metrics, baselines and calibration by hand, the feature list against the SQL
contracts, native artifacts, champion/challenger selection (a baseline that wins is served),
provenance, the plug-in interface with a toy ranker, and scoring."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import roc_auc_score

from metro_offers.metrics import auc
from metro_offers.pools import EVALUATION_POOL, TRAINING_POOL_PREFIX, VALIDATION_POOL
from metro_offers.ranking import features as schema
from metro_offers.ranking import rankers, registry, selection
from metro_offers.ranking.data import RankingData
from metro_offers.ranking.rankers import LightGBMRanker, LogisticRegressionRanker, PTopFreq
from metro_offers.ranking.rankers.base import Ranker
from metro_offers.ranking.scoring import candidate_sample, score_candidates
from metro_offers.ranking.training import train_live_ranker
from metro_offers.reference import project_root

RUN_DATE = dt.date(2026, 11, 1)
POOLS = (EVALUATION_POOL, *(f"{TRAINING_POOL_PREFIX}{n}" for n in (1, 2, 3)))
QUIET = {"echo": lambda _: None}


def pool_examples(customers=150, offers=12, seed=0, label="affinity") -> pd.DataFrame:
    """Pools of lists of ``offers`` candidates for ``customers`` customers each. label
    'affinity': redemption driven by category affinity and discount (signal no baseline
    has); 'orders': in every list the offer the customer ordered most is the one redeemed
    (what P-TopFreq ranks by), except in the training pools, where labels are noise."""
    rng = np.random.default_rng(seed)
    frames = []
    for p, pool in enumerate(POOLS):
        n = customers * offers
        frame = pd.DataFrame(
            {
                "pool": pool,
                "customer_id": np.repeat(np.arange(customers), offers) + 1,
                "offer_id": np.tile(np.arange(offers), customers) + 1,
                "as_of_date": pd.Timestamp("2026-10-04") - pd.Timedelta(days=28 * p),
                "label_window_end": pd.Timestamp("2026-11-01") - pd.Timedelta(days=28 * p),
            }
        )
        for column in schema.NUMERIC_FEATURES:
            frame[column] = rng.gamma(2.0, 1.0, n)
        frame["offer_product_orders"] = rng.poisson(2.0, n)
        frame["bought_before"] = frame.offer_product_orders > 0
        frame["days_since_offer_product_purchase"] = np.where(rng.random(n) < 0.2, np.nan, rng.integers(1, 90, n))
        frame["discount_pct"] = rng.choice([0.1, 0.2, 0.3], n)
        frame["category_affinity_score"] = rng.beta(1, 5, n)
        frame["rank_by_category_affinity"] = rng.integers(1, 20, n)
        frame["segment"] = rng.choice(list(schema.SEGMENT_LEVELS), n)
        frame["category_id"] = rng.integers(1, 21, n)
        if label == "affinity":
            logit = -4 + 12 * frame.category_affinity_score + 6 * frame.discount_pct
            frame["redeemed_in_window"] = rng.random(n) < 1 / (1 + np.exp(-logit))
        elif pool.startswith(TRAINING_POOL_PREFIX) and pool != VALIDATION_POOL:
            frame["redeemed_in_window"] = rng.random(n) < 0.08
        else:  # the offer P-TopFreq puts first (orders, ties by popularity) is the one redeemed
            rule = frame.offer_product_orders + 0.5 * frame.offer_product_popularity / (
                1 + frame.offer_product_popularity
            )
            frame["redeemed_in_window"] = rule == rule.groupby(frame.customer_id).transform("max")
        # as in the warehouse, a labelled pool holds only the customers who redeemed in its window
        frame["relevant_offers"] = frame.groupby("customer_id").redeemed_in_window.transform("sum")
        frames.append(frame[frame.relevant_offers > 0])
    return pd.concat(frames, ignore_index=True)


def test_auc_by_hand_and_against_scikit_learn():
    # positives score 0.9 and 0.3, negatives 0.8 and 0.1: 3 of the 4 pairs are ordered right
    assert auc(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.3, 0.1])) == 0.75
    assert auc(np.array([1, 0]), np.array([0.5, 0.5])) == 0.5  # a tie counts half
    assert np.isnan(auc(np.array([1, 1]), np.array([0.2, 0.3])))
    rng = np.random.default_rng(1)
    labels, scores = rng.random(500) < 0.3, rng.integers(0, 20, 500)  # many ties
    assert auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores))


def test_ranking_data_groups_lists_and_ndcg_by_hand():
    frame = pd.DataFrame(
        {
            "pool": [VALIDATION_POOL] * 5,
            "customer_id": [1, 1, 1, 2, 2],
            "offer_id": [1, 2, 3, 1, 2],
            "redeemed_in_window": [False, True, False, True, False],
            "relevant_offers": [1, 1, 1, 2, 2],  # customer 2 redeemed one offer retrieval missed
            **{c: 0.0 for c in schema.NUMERIC_FEATURES},
            "segment": "budget",
            "category_id": 1,
        }
    )
    data = RankingData.from_pool_examples(frame)
    assert data.group_sizes.tolist() == [3, 2]
    # customer 1: its relevant offer 2 ranked 2nd -> 1/log2(3) = 0.6309; customer 2: offer 1
    # ranked 1st of 2 relevant -> 1 / (1 + 1/log2(3)) = 0.6131
    score = np.array([3.0, 2.0, 1.0, 2.0, 1.0])
    assert data.ndcg(score, 10) == pytest.approx((1 / np.log2(3) + 1 / (1 + 1 / np.log2(3))) / 2)
    assert data.lists_with_positives().group_sizes.tolist() == [3, 2]


def test_baselines_rank_by_their_rule_by_hand():
    x = pd.DataFrame(
        {
            "offer_product_orders": [2.0, 2.0, 0.0],
            "offer_product_popularity": [1.0, 3.0, 9.0],
            "offer_product_segment_popularity": [0.5, 0.1, 0.2],
        }
    )
    # orders + 0.5 * popularity / (1 + popularity): 2.25, 2.375, 0.45 - popularity only breaks ties
    np.testing.assert_allclose(PTopFreq().score(x), [2.25, 2.375, 0.45])
    np.testing.assert_allclose(rankers.SegmentPopularity().score(x), [0.5, 0.1, 0.2])
    parts = PTopFreq().explain(x)
    np.testing.assert_allclose(parts.drop(columns="bias").sum(axis=1), PTopFreq().score(x))


def test_platt_calibration_by_hand():
    # constant scores carry no information: every row gets the base rate 1/4
    flat = selection.platt_calibration(np.array([1, 0, 0, 0], dtype=bool), np.ones(4))
    assert flat["slope"] == 0 and selection.calibrated(np.ones(1), flat)[0] == pytest.approx(0.25)
    assert selection.calibrated(np.array([0.5]), {"slope": 2.0, "intercept": -1.0})[0] == pytest.approx(0.5)
    rng = np.random.default_rng(3)
    score = rng.normal(size=2_000)
    label = rng.random(2_000) < 1 / (1 + np.exp(-(2 * score - 1)))
    fitted = selection.platt_calibration(label, score)
    assert fitted["slope"] == pytest.approx(2.0, abs=0.3) and fitted["intercept"] == pytest.approx(-1.0, abs=0.2)


def test_feature_matrix_codes_and_refuses_missing_columns():
    frame = pool_examples(customers=3, offers=2)
    x = schema.feature_matrix(frame)
    assert list(x.columns) == [*schema.NUMERIC_FEATURES, "rank_by_category_affinity", *schema.CATEGORICAL_FEATURES]
    assert set(x.segment) <= {0.0, 1.0, 2.0, 3.0} and x.bought_before.isin([0.0, 1.0]).all()
    with pytest.raises(KeyError, match="discount_pct"):
        schema.feature_matrix(frame.drop(columns=["discount_pct"]))


def _contract_columns(path: str, model: str) -> set[str]:
    models = yaml.safe_load((project_root() / path).read_text())["models"]
    [entry] = [m for m in models if m["name"] == model]
    return {c["name"] for c in entry["columns"]}


def test_the_feature_list_matches_the_sql_contracts():
    features = set(schema.NUMERIC_FEATURES) | set(schema.CATEGORICAL_FEATURES)
    strategies = yaml.safe_load((project_root() / "dbt_project.yml").read_text())["vars"]["candidate_quotas"]
    ranks = {f"{schema.STRATEGY_RANK_PREFIX}{name}" for name in strategies}
    candidate = _contract_columns("models/marts/features/_features__models.yml", "candidate_features")
    pool = _contract_columns("models/marts/training/_training__models.yml", "pool_examples")
    training = _contract_columns("models/marts/training/_training__models.yml", "training_examples")
    uplift = _contract_columns("models/marts/uplift/_uplift__models.yml", "uplift_examples")
    served = _contract_columns("models/marts/serving/_serving__models.yml", "served_recommendations")
    recommendation = _contract_columns("models/marts/serving/_serving__models.yml", "recommendations")
    for columns in (candidate, pool, training, uplift):
        assert features <= columns, features - columns
    for columns in (candidate, pool):
        assert set(schema.strategy_rank_features(columns)) == ranks
        assert set(schema.ranker_features(columns)) == features | ranks
    # every feature-like column of the contracts is a ranker feature (nothing computed and left unused)
    keys = {"pool", "customer_id", "offer_id", "as_of_date"}
    labels = {"pool_role", "label_window_end", "redeemed_in_window", "relevant_offers"}
    assert candidate - keys == features | ranks
    assert pool - keys - labels == features | ranks
    # the snapshot's recommendations carry every feature the live model may need to explain a score
    assert served - recommendation == features | ranks
    # the uplift learners see the same features, no more (no strategy ranks: impressions have none)
    impression = {"impression_id", "impression_date", "feature_as_of_date", "outcome_window_end", "split"}
    outcome = {"shown", "bought_offer_products", "policy", "selection_propensity"}
    assert uplift - keys - impression - outcome == features


def test_native_artifacts_round_trip_and_explanations_add_up(tmp_path):
    frame = pool_examples()
    data = RankingData.from_pool_examples(frame[frame.pool != EVALUATION_POOL])
    for ranker in (LogisticRegressionRanker, LightGBMRanker):
        model = ranker.fit(data, None, {"rounds": 30})
        path = model.save(tmp_path)
        again = rankers.ranker_class(ranker.name).load(path)
        np.testing.assert_allclose(again.score(data.x), model.score(data.x))
        assert data.auc(model.score(data.x)) > 0.7  # both learn the signal
        parts = model.explain(data.x.iloc[:50])
        assert list(parts.columns) == [*model.features, "bias"]
        total = parts.sum(axis=1).to_numpy()
        expected = model.score(data.x.iloc[:50])
        if ranker is LogisticRegressionRanker:  # contributions are log-odds
            total = 1 / (1 + np.exp(-total))
        np.testing.assert_allclose(total, expected, rtol=1e-6)
        # the label depends on affinity and discount only: affinity leads
        assert model.importance().idxmax() == "category_affinity_score"
    assert json.loads((tmp_path / "model.json").read_text())["features"][0] == "recency_days"


def test_a_learned_ranker_that_beats_the_baselines_is_chosen(tmp_path):
    frame = pool_examples()
    entry = train_live_ranker(frame, frame[frame.pool == EVALUATION_POOL], RUN_DATE, tmp_path, "test", **QUIET)
    assert entry.chosen_is_learned and entry.chosen_model in rankers.LEARNED
    validation = pd.DataFrame(entry.validation).set_index("method")
    assert set(validation.index) == set(rankers.RANKERS)
    assert entry.validation_ndcg_chosen == validation.ndcg_at_10.max() > validation.loc["p_topfreq", "ndcg_at_10"]
    assert entry.training_pools == sorted(POOLS)  # the live model refits on every labelled pool
    scores = score_candidates([frame[frame.pool == EVALUATION_POOL]], registry.read_registry(tmp_path)[-1])
    assert (scores.recommendation_source == "ranker").all() and scores.score.between(0, 1).all()


def test_a_baseline_that_wins_on_validation_is_served_and_named(tmp_path):
    frame = pool_examples(label="orders")
    entry = train_live_ranker(frame, frame[frame.pool == EVALUATION_POOL], RUN_DATE, tmp_path, "test", **QUIET)
    assert entry.chosen_model == "p_topfreq" and not entry.chosen_is_learned
    assert entry.validation_ndcg_chosen == pytest.approx(1.0)  # it ranks each redeemed offer first
    live = registry.read_registry(tmp_path)[-1]
    candidates = frame[frame.pool == EVALUATION_POOL]
    scores = score_candidates([candidates], live)
    assert (scores.recommendation_source == "p_topfreq").all()
    # calibration is monotone: the served order is P-TopFreq's
    x = schema.feature_matrix(candidates, PTopFreq().features)
    assert np.array_equal(
        np.argsort(-scores.score.to_numpy(), kind="stable"), np.argsort(-PTopFreq().score(x), kind="stable")
    )


def test_selection_needs_a_validation_pool_with_redemptions(tmp_path):
    frame = pool_examples().assign(redeemed_in_window=False)
    with pytest.raises(ValueError, match="validation pool training_1 has no redemption"):
        selection.select_ranker(frame, **QUIET)


def test_provenance_reuse_on_a_grown_landing_retrain_on_another(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    (raw / "orders").mkdir(parents=True)
    (raw / "orders" / "landed_2026-10-31_history.parquet").write_bytes(b"x" * 10)
    (raw / "_manifest.json").write_text(json.dumps({"row_counts": {"orders": 10}}))
    store = tmp_path / "models"
    store.mkdir()
    files = registry.landing_files(raw)
    assert files == {"orders/landed_2026-10-31_history.parquet": 10}
    assert registry.retrain_reason(store, False, None, files) == "no registered model"
    frame = pool_examples(customers=60)
    entry = train_live_ranker(frame, frame, RUN_DATE, store, "test", raw_root=raw, **QUIET)
    assert entry.landing_row_counts == {"orders": 10} and entry.data_fingerprint == registry.data_fingerprint(files)
    # a day landed beside the history: the same data set, grown - keep the model
    (raw / "orders" / "landed_2026-11-01_day.parquet").write_bytes(b"y")
    assert registry.retrain_reason(store, False, None, registry.landing_files(raw)) is None
    # the history regenerated (another size): a model trained on other data is not reused
    (raw / "orders" / "landed_2026-10-31_history.parquet").write_bytes(b"x" * 11)
    reason = registry.retrain_reason(store, False, None, registry.landing_files(raw))
    assert reason.startswith("landing changed: 0 files the model learned from are gone, 1 changed")
    (raw / "orders" / "landed_2026-10-31_history.parquet").unlink()
    assert "1 files the model learned from are gone" in registry.retrain_reason(
        store, False, None, registry.landing_files(raw)
    )
    assert registry.retrain_reason(store, True, None, files) == "forced by var force_retrain"
    # the feature schema the rankers were offered changed: the model must learn the new one
    (raw / "orders" / "landed_2026-10-31_history.parquet").write_bytes(b"x" * 10)
    schema = entry.feature_schema
    assert registry.retrain_reason(store, False, None, files, feature_schema=schema) is None
    assert registry.retrain_reason(store, False, None, files, feature_schema=[*schema[1:], "new_feature"]) == (
        f"the ranker features changed (new: new_feature; gone: {schema[0]})"
    )
    # a ranker joined the comparison since: selection must see it
    assert entry.rankers == list(rankers.RANKERS)
    monkeypatch.setitem(rankers.RANKERS, DiscountDepth.name, DiscountDepth)
    assert registry.retrain_reason(store, False, None, files, feature_schema=schema) == (
        "the rankers changed (new: discount_depth; gone: none)"
    )


class DiscountDepth(Ranker):
    """A toy ranker for the plug-in test: deeper discounts first."""

    name = "discount_depth"
    explanation = "the discount itself"
    importance_kind = "the rule"
    features = ("discount_pct",)

    @classmethod
    def fit(cls, train, valid=None, parameters=None):
        return cls()

    def score(self, x):
        return x["discount_pct"].to_numpy(dtype=float)

    def to_bytes(self):
        return json.dumps({"features": list(self.features)}).encode()

    @classmethod
    def from_bytes(cls, data):
        return cls()

    def explain(self, x):
        return pd.DataFrame({"discount_pct": self.score(x), "bias": 0.0}, index=x.index)

    def importance(self):
        return pd.Series({"discount_pct": 1.0})


def test_a_new_ranker_is_a_class_and_one_registration_line(tmp_path, monkeypatch):
    from metro_offers import evaluation

    # validation and evaluation labels follow the discount alone, older labels are noise: the
    # toy rule is the best there is, and nothing fitted on the noise finds it
    frame = pool_examples(seed=4, label="orders")
    judged = frame.pool.isin([EVALUATION_POOL, VALIDATION_POOL])
    frame.loc[judged, "redeemed_in_window"] = frame.discount_pct[judged] == 0.3
    monkeypatch.setitem(rankers.RANKERS, DiscountDepth.name, DiscountDepth)
    entry = train_live_ranker(frame, frame[frame.pool == EVALUATION_POOL], RUN_DATE, tmp_path, "test", **QUIET)
    assert DiscountDepth.name in {row["method"] for row in entry.validation}
    assert entry.chosen_model == "discount_depth" and entry.chosen_is_learned
    live = registry.read_registry(tmp_path)[-1]
    assert Path(live["artifact_path"]).name == "model.json" and isinstance(registry.load_model(live), DiscountDepth)
    scores = score_candidates([frame[frame.pool == EVALUATION_POOL]], live)
    assert (scores.model_version == live["model_version"]).all()
    result, _ = evaluation.evaluate(frame, live, None, k=10, bootstrap_samples=20, seed=1, **QUIET)
    ndcg = result[(result.subset == "all") & (result.metric == "ndcg")].set_index("method").value
    assert ndcg["discount_depth"] > ndcg["p_topfreq"] and ndcg["discount_depth"] > ndcg["random"]
    importance = registry.feature_importance(tmp_path)
    assert importance.feature.tolist() == ["discount_pct"] and importance.importance_share.sum() == 1.0


def test_scoring_in_batches_equals_scoring_at_once_and_the_sample_is_deterministic(tmp_path):
    import duckdb

    frame = pool_examples()
    train_live_ranker(frame, frame, RUN_DATE, tmp_path, "test", **QUIET)
    live = registry.read_registry(tmp_path)[-1]
    candidates = frame[frame.pool == EVALUATION_POOL].reset_index(drop=True)
    whole = score_candidates([candidates], live)
    batched = score_candidates([candidates.iloc[i : i + 300] for i in range(0, len(candidates), 300)], live)
    pd.testing.assert_frame_equal(batched, whole)
    relation = duckdb.from_df(candidates[["customer_id", "offer_id", "recency_days"]])
    assert len(candidate_sample(relation, 5_000)) == len(candidates)  # smaller than the cap: every row
    sample = candidate_sample(relation, len(candidates) // 4)
    assert len(candidates) * 0.15 < len(sample) < len(candidates) * 0.35  # one hash class in four
    pd.testing.assert_frame_equal(sample, candidate_sample(relation, len(candidates) // 4))


def test_a_model_store_of_an_older_version_retrains_and_its_registry_still_reads(tmp_path):
    # a line as the previous version wrote it: no calibration, no provenance, no comparison
    old = {"model_version": "20261001-old", "trained_at": "2026-10-01T00:00:00Z", "chosen_model": "lightgbm"}
    (tmp_path / "registry.jsonl").write_text(json.dumps(old) + "\n")
    assert registry.retrain_reason(tmp_path, False, None, {}).startswith("the registered model predates")
    frame = pool_examples(customers=60)
    train_live_ranker(frame, frame, RUN_DATE, tmp_path, "test", **QUIET)
    table = registry.registry_frame(tmp_path)
    assert table.model_version.tolist() == ["20261001-old", registry.read_registry(tmp_path)[-1]["model_version"]]
    assert table.calibration.iloc[0] is None and json.loads(table.calibration.iloc[1])["slope"] != 0
    assert table.chosen_is_learned.tolist() == [True, True]
    assert registry.retrain_reason(tmp_path, False, None, None) is None  # the new model is current
