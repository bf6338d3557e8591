"""Offline evaluation: every metric by hand and against scikit-learn, the bootstrap, and a
whole evaluation on synthetic data where the answer is known."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, ndcg_score

from metro_offers import evaluation
from metro_offers import metrics as m
from metro_offers.evaluation_report import METHOD_LABELS, render_report
from metro_offers.pools import EVALUATION_POOL
from metro_offers.ranking import rankers
from metro_offers.ranking.training import train_live_ranker
from metro_offers.reference import load_evaluation_methods

from test_ranking import QUIET, RUN_DATE, pool_examples


def test_rank_within_customer_orders_by_score_then_offer_id():
    customer = np.array([1, 1, 1, 2, 2])
    score = np.array([0.2, 0.9, 0.2, 0.1, 0.5])
    offer = np.array([30, 10, 20, 10, 20])
    # customer 1: offer 10 (0.9), then the tie at 0.2 by offer id: 20, then 30
    assert m.rank_within_customer(customer, score, offer).tolist() == [3, 1, 2, 2, 1]


def test_list_metrics_by_hand():
    # customer 1: relevant at ranks 1 and 3 of 5; customer 2: relevant at rank 5 and one
    # relevant offer outside the ranked pool; customer 3: nothing relevant (left out)
    customer = np.array([1] * 5 + [2] * 5 + [3] * 2)
    rank = np.array([1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2])
    relevant = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0], dtype=bool)
    n_relevant = pd.Series({1: 2, 2: 2, 3: 0})
    metrics = m.list_metrics(customer, rank, relevant, n_relevant, k=3)
    assert list(metrics.index) == [1, 2]
    one, two = metrics.loc[1], metrics.loc[2]
    # DCG = 1/log2(2) + 1/log2(4) = 1.5; ideal = 1 + 1/log2(3) = 1.63093
    assert one.ndcg == pytest.approx(1.5 / 1.6309298, rel=1e-6)
    assert one.precision == pytest.approx(2 / 3)
    assert one.recall == 1.0 and one.mrr == 1.0 and one.hit_rate == 1.0
    assert one["map"] == pytest.approx((1 / 1 + 2 / 3) / 2)  # precision at each hit / min(relevant, k)
    assert two.ndcg == 0 and two.precision == 0 and two.recall == 0 and two["map"] == 0 and two.hit_rate == 0
    assert two.mrr == pytest.approx(1 / 5)  # MRR looks down the whole ranking


def test_ndcg_and_map_match_scikit_learn():
    rng = np.random.default_rng(3)
    n_customers, pool = 200, 30
    customer = np.repeat(np.arange(n_customers), pool)
    score = rng.random(n_customers * pool)  # no ties: scikit-learn averages over ties
    relevant = rng.random(n_customers * pool) < 0.1
    relevant[::pool] = True  # everyone has at least one relevant offer
    n_relevant = pd.Series(relevant, index=customer).groupby(level=0).sum()
    rank = m.rank_within_customer(customer, score, np.tile(np.arange(pool), n_customers))
    ours = m.list_metrics(customer, rank, relevant, n_relevant, k=10)
    full = m.list_metrics(customer, rank, relevant, n_relevant, k=pool)
    for c in range(n_customers):
        rows = slice(c * pool, (c + 1) * pool)
        y_true, y_score = relevant[rows].astype(float)[None, :], score[rows][None, :]
        assert ours.ndcg[c] == pytest.approx(ndcg_score(y_true, y_score, k=10))
        # with k = the whole pool, MAP@k is average precision
        assert full["map"][c] == pytest.approx(average_precision_score(relevant[rows], score[rows]))


def test_intra_list_diversity_by_hand():
    customer = np.array([1, 1, 1, 1, 2, 2, 3])
    rank = np.array([1, 2, 3, 4, 1, 2, 1])
    category = np.array([5, 5, 6, 7, 5, 5, 9])
    diversity = m.intra_list_diversity(customer, rank, category, k=3)
    # customer 1's top 3 = categories 5, 5, 6: 2 of 3 pairs differ; customer 2: one pair, same
    assert diversity[1] == pytest.approx(2 / 3) and diversity[2] == 0.0
    assert 3 not in diversity.index  # a one-offer list has no pairs


def test_bootstrap_means_by_hand():
    values = pd.DataFrame({"m": [1.0, 3.0, np.nan]})
    weights = np.array([[1.0, 1.0, 1.0], [3.0, 0.0, 0.0], [0.0, 0.0, 3.0]])
    replicates = m.bootstrap_means(values, weights)
    # defined customers only: (1 + 3) / 2, then customer 1 three times, then nobody defined
    assert replicates[0, 0] == 2.0 and replicates[1, 0] == 1.0 and np.isnan(replicates[2, 0])
    counts = m.resample_weights(50, 20, seed=1)
    assert counts.shape == (20, 50) and (counts.sum(axis=1) == 50).all()


def evaluated_setup(tmp_path, seed=2):
    """Pools whose redemptions follow category affinity and discount, and the live model's
    registry entry trained on them (every ranker compared on training_1)."""
    frame = pool_examples(seed=seed)
    store = tmp_path / "models"
    store.mkdir()
    entry = asdict(train_live_ranker(frame, frame[frame.pool == EVALUATION_POOL], RUN_DATE, store, "test", **QUIET))
    return frame, entry


def test_a_whole_evaluation_ranks_the_informed_methods_above_random(tmp_path):
    frame, entry = evaluated_setup(tmp_path)
    pool = frame[frame.pool == EVALUATION_POOL]
    logit = -4 + 12 * pool.category_affinity_score + 6 * pool.discount_pct  # pool_examples' truth
    truth = pool[["customer_id", "offer_id"]].assign(
        p_redeem_if_shown=1 / (1 + np.exp(-logit)), p_buy_if_not_shown=0.0, true_uplift=0.0
    )
    (tmp_path / "offer_truth").mkdir()
    truth.to_parquet(tmp_path / "offer_truth" / "part.parquet")

    result, curves = evaluation.evaluate(frame, entry, tmp_path, k=5, bootstrap_samples=200, seed=7, **QUIET)
    value = result.set_index(["method", "subset", "metric"]).value
    assert set(result.method) == {"random", "oracle", *rankers.RANKERS}
    for method in ("lightgbm", "logistic_regression", "wide_deep", "oracle"):
        assert value[(method, "all", "ndcg")] > value[("random", "all", "ndcg")] + 0.05
        assert value[(method, "all", "ndcg")] > value[("p_topfreq", "all", "ndcg")]
    # the oracle ranks by the truth the labels were drawn from: no method expects more redemptions
    shares = result[result.metric == "expected_redemptions_share_of_oracle"].set_index("method").value
    assert shares.idxmax() == "oracle" and shares["lightgbm"] > 0.8 and shares["random"] < shares["lightgbm"]
    assert value[("lightgbm", "pool_rows", "auc")] > 0.7
    # validation NDCG of each method comes from the live model's registry entry
    validation = {row["method"]: row["ndcg_at_10"] for row in entry["validation"]}
    lightgbm = result[(result.method == "lightgbm")].validation_ndcg_at_10.iloc[0]
    assert lightgbm == validation["lightgbm"] and result[result.method == "random"].validation_ndcg_at_10.isna().all()
    # a bootstrap interval holds its own estimate (a percentile interval of the mean need not, but does here)
    bootstrapped = result.dropna(subset=["ci_low"])
    inside = (bootstrapped.ci_low <= bootstrapped.value + 1e-9) & (bootstrapped.value <= bootstrapped.ci_high + 1e-9)
    assert inside.mean() > 0.95

    roc = curves[(curves.method == "lightgbm") & (curves.curve == "roc")]
    assert roc.x.iloc[0] == 0 and roc.y.iloc[-1] == 1 and (roc.x.diff().dropna() >= 0).all()
    assert set(curves.method) == {"lightgbm", "logistic_regression", "wide_deep", "random", "oracle"}

    report = result.rename(columns={"value": "metric_value"}).assign(
        model_version="v1", run_date="2026-11-01", evaluation_cutoff="2026-10-04"
    )
    text = render_report(report, k=5)
    assert "NDCG@5" in text and "Oracle (true probabilities)" in text and "cutoff 2026-10-04" in text
    assert render_report(report, markdown=True, k=5).count("| LightGBM |") == 2


def test_external_rankers_are_judged_beside_the_built_in_ones(tmp_path):
    frame, entry = evaluated_setup(tmp_path)
    pool = frame[frame.pool == EVALUATION_POOL]
    # a ranker that knows the answer, and one that scored only half of the pool
    perfect = pool[["customer_id", "offer_id"]].assign(method="knows_the_answer", score=pool.redeemed_in_window * 1.0)
    half = pool[["customer_id", "offer_id"]].iloc[::2].assign(method="half_scored", score=1.0)
    messages = []
    result, _ = evaluation.evaluate(
        frame, entry, None, k=5, bootstrap_samples=50, seed=7, external=pd.concat([perfect, half]), echo=messages.append
    )
    value = result.set_index(["method", "subset", "metric"]).value
    assert value[("knows_the_answer", "all", "hit_rate")] == 1.0
    assert value[("knows_the_answer", "all", "ndcg")] > value[("lightgbm", "all", "ndcg")]
    assert any("half_scored" in m and "unscored (ranked last)" in m for m in messages)
    clash = perfect.assign(method="lightgbm")
    with pytest.raises(ValueError, match="built-in method names"):
        evaluation.evaluate(frame, entry, None, 5, 10, 7, external=clash, **QUIET)


def test_an_empty_evaluation_pool_is_refused(tmp_path):
    frame, entry = evaluated_setup(tmp_path)
    with pytest.raises(ValueError, match="evaluation pool is empty"):
        evaluation.evaluate(frame[frame.pool != EVALUATION_POOL], entry, None, 10, 10, 1, **QUIET)


def test_the_method_seed_declares_every_ranker_and_reference_method():
    """seeds/evaluation_methods.csv is the one list of built-in methods: every ranker class and
    the two reference methods are in it with their kind, and the reports follow its order."""
    methods = load_evaluation_methods().set_index("method")
    assert set(methods.index) == {*rankers.RANKERS, evaluation.RANDOM, evaluation.ORACLE}
    for name, ranker in rankers.RANKERS.items():
        assert methods.kind[name] == ("learned" if ranker.learned else "baseline"), name
    assert methods.kind[evaluation.RANDOM] == methods.kind[evaluation.ORACLE] == "reference"
    assert list(METHOD_LABELS) == [
        "random",
        "p_topfreq",
        "segment_popularity",
        "global_popularity",
        "logistic_regression",
        "lightgbm",
        "wide_deep",
        "oracle",
    ]
    assert METHOD_LABELS["p_topfreq"] == "P-TopFreq" and METHOD_LABELS["wide_deep"] == "Wide & Deep"
