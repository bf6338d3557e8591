"""The next-basket task, its baselines (popularity, P-TopFreq, GP-TopFreq, TIFU-KNN) and the
harness, by hand on a history of four customers, and the harness's metrics against a
brute-force computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metro_offers.next_basket import baselines, harness
from metro_offers.next_basket.task import LINE_COLUMNS, NextBasketTask

A, B, C, D, E = 1, 2, 3, 4, 5


def day(n: int) -> pd.Timestamp:
    return pd.Timestamp("2026-01-01") + pd.Timedelta(days=n)


def lines() -> pd.DataFrame:
    rows = [
        # customer 1: three baskets before the cutoff, two after (only the first is the target)
        (1, 11, day(1), A), (1, 11, day(1), B),
        (1, 12, day(3), A), (1, 12, day(3), C),
        (1, 13, day(5), A),
        (1, 17, day(6), A), (1, 17, day(6), D),
        (1, 18, day(7), E),
        # customer 2: two baskets before, one after
        (2, 21, day(2), B), (2, 21, day(2), D),
        (2, 22, day(4), B),
        (2, 29, day(8), C),
        # customer 3: history only; customer 4: a basket after the cutoff only
        (3, 31, day(2), C),
        (4, 41, day(6), A),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["customer_id", "basket_id", "basket_time", "product_id"])


@pytest.fixture
def task() -> NextBasketTask:
    return NextBasketTask.from_lines(lines(), day(6))


def test_the_task_is_the_first_basket_after_the_cutoff_of_customers_with_history(task):
    # customer 3 has no basket after the cutoff, customer 4 no history; customer 1's second
    # basket after the cutoff (E) is not a target
    assert task.targets.values.tolist() == [[1, A, True], [1, D, False], [2, C, False]]
    assert set(task.history.customer_id) == {1, 2} and (task.history.basket_time < day(6)).all()
    assert set(task.popularity_lines.customer_id) == {1, 2, 3}


def test_popularity_and_the_personal_frequency_baselines_by_hand(task):
    # distinct buyers before the cutoff: B 2 (1, 2), C 2 (1, 3), A 1, D 1; ties by product id
    assert baselines.product_popularity(task, days=30).index.tolist() == [B, C, A, D]
    ranked = baselines.p_topfreq(task, k=3, days=30)
    # customer 1: A in 3 baskets, B and C in 1 (tied on popularity too: B first by id)
    assert ranked[ranked.customer_id == 1].product_id.tolist() == [A, B, C]
    assert ranked[ranked.customer_id == 2].product_id.tolist() == [B, D]  # only what it bought
    filled = baselines.gp_topfreq(task, k=3, days=30)
    assert filled[filled.customer_id == 2].product_id.tolist() == [B, D, C]  # then the most popular
    assert filled.groupby("customer_id")["rank"].apply(list).tolist() == [[1, 2, 3], [1, 2, 3]]
    # new products only: customer 1 bought A, B, C (left: D); customer 2 B, D (left: C, A)
    new = baselines.popularity_explore(task, k=3, days=30)
    assert new.groupby("customer_id").product_id.apply(list).to_dict() == {1: [D], 2: [C, A]}
    # the popularity window: only customer 1's day-5 basket is within 1 day of the cutoff
    assert baselines.product_popularity(task, days=1).index.tolist() == [A]


def test_the_harness_scores_each_list_by_hand(task):
    lists = {"p_topfreq": baselines.p_topfreq(task, 3, 30), "gp_topfreq": baselines.gp_topfreq(task, 3, 30)}
    result = harness.evaluate(task, lists, k=3, samples=50, seed=1).set_index(["method", "subset", "metric"])
    # P-TopFreq: customer 1 finds A (of A, D) at rank 1: recall 1/2, NDCG 1 / (1 + 1/log2 3);
    # customer 2's C is not in its list: 0
    ndcg_1 = 1 / (1 + 1 / np.log2(3))
    assert result.loc[("p_topfreq", "all", "recall"), "value"] == pytest.approx(0.25)
    assert result.loc[("p_topfreq", "all", "ndcg"), "value"] == pytest.approx(ndcg_1 / 2)
    # GP-TopFreq also finds customer 2's C at rank 3: NDCG (1 / log2 4) / 1 = 0.5
    assert result.loc[("gp_topfreq", "all", "ndcg"), "value"] == pytest.approx((ndcg_1 + 0.5) / 2)
    assert result.loc[("gp_topfreq", "all", "hit_rate"), "value"] == 1.0
    # repeat items: customer 1's A only; explore: 1's D and 2's C
    assert result.loc[("p_topfreq", "repeat", "recall"), "value"] == 1.0
    assert result.loc[("p_topfreq", "repeat", "recall"), "customers"] == 1
    assert result.loc[("gp_topfreq", "explore", "recall"), "value"] == pytest.approx(0.5)
    assert result.loc[("gp_topfreq", "explore", "recall"), "customers"] == 2


def test_tifu_knn_by_hand(task):
    settings = baselines.TifuKnnSettings(neighbours=1, within_decay=0.5, group_decay=0.5, alpha=0.5, groups=2)
    products = np.array([A, B, C, D])
    customers, vectors = baselines.tifu_vectors(task.popularity_lines, settings, products)
    # customer 1: baskets 11, 12 in the first group (0.5^1 / 2, 0.5^0 / 2, times 0.5^1 / 2) and
    # 13 alone in the second (1 x 0.5^0 / 2): 0.0625, 0.125, 0.5 -> A 0.6875, B 0.0625, C 0.125
    # customer 2: 21 and 22 one per group: 0.25 and 0.5 -> B 0.75, D 0.25; customer 3: C 1
    assert customers.tolist() == [1, 2, 3]
    np.testing.assert_allclose(
        vectors.toarray(), [[0.6875, 0.0625, 0.125, 0], [0, 0.75, 0, 0.25], [0, 0, 1, 0]], atol=1e-12
    )
    # nearest other customer: 1 <-> 2 (squared distances 1.023 and 1.242 / 1.625 to customer 3);
    # half own, half neighbour: B 0.40625, A 0.34375, D 0.125, C 0.0625 for both
    ranked = baselines.tifu_knn(task, k=3, settings=settings)
    assert ranked.groupby("customer_id").product_id.apply(list).to_dict() == {1: [B, A, D], 2: [B, A, D]}


def test_harness_metrics_match_a_brute_force_computation():
    rng = np.random.default_rng(3)
    rows = []
    for customer in range(1, 41):
        for basket in range(4):
            for product in rng.choice(30, size=rng.integers(1, 6), replace=False):
                rows.append((customer, customer * 10 + basket, day(basket * 2 + rng.integers(0, 2)), product))
    task = NextBasketTask.from_lines(pd.DataFrame(rows, columns=list(LINE_COLUMNS)), day(6))
    ranked = baselines.gp_topfreq(task, k=5, days=30)
    result = harness.evaluate(task, {"gp": ranked}, k=5, samples=20, seed=1).set_index(["subset", "metric"]).value
    recalls, ndcgs = [], []
    for customer, target in task.targets.groupby("customer_id"):
        top = ranked[ranked.customer_id == customer].sort_values("rank").product_id.tolist()
        relevant = set(target.product_id)
        gains = [1 / np.log2(i + 2) for i, p in enumerate(top) if p in relevant]
        ideal = sum(1 / np.log2(i + 2) for i in range(min(len(relevant), 5)))
        recalls.append(len(relevant & set(top)) / len(relevant))
        ndcgs.append(sum(gains) / ideal)
    assert result[("all", "recall")] == pytest.approx(np.mean(recalls))
    assert result[("all", "ndcg")] == pytest.approx(np.mean(ndcgs))
