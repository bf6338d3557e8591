"""Item2Vec embeddings, customer and offer vectors, FAISS retrieval and the quality measures,
each against a hand-computed case."""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest
from gensim.models import KeyedVectors

from metro_offers.anchors import anchor_date
from metro_offers.embeddings import store
from metro_offers.embeddings.corpus import basket_corpus
from metro_offers.embeddings.item2vec import Item2VecSettings, train_item2vec
from metro_offers.embeddings.quality import (
    basket_completion_hits,
    cooccurrence_neighbours,
    nearest_neighbours,
    purity_at_k,
    random_purity,
)
from metro_offers.embeddings.retrieval import IndexSettings, build_index, nearest, recall_against_exact
from metro_offers.embeddings.vectors import OrderHistory, customer_vectors, offer_vectors

D = dt.date(2026, 3, 1)
SETTINGS = Item2VecSettings(
    dimensions=8, epochs=5, negative=5, ns_exponent=0.75, min_count=1, subsample=0.0, max_pairs=1000, seed=3
)


def day(offset: int) -> dt.date:
    return D + dt.timedelta(days=offset)


# ---------------------------------------------------------------- the corpus
def test_corpus_is_the_latest_baskets_strictly_before_the_date_within_the_pair_budget():
    lines = pd.DataFrame(
        [
            (1, day(-3), 10), (1, day(-3), 11), (1, day(-3), 10),  # a product twice: counted once
            (2, day(-2), 12),  # one product: no pair
            (3, day(-1), 13), (3, day(-1), 11),
            (4, day(0), 10), (4, day(0), 12),  # on the as-of date: excluded
            (5, day(-5), 14), (5, day(-5), 15),  # older than the latest two baskets
        ],
        columns=["order_id", "order_date", "product_id"],
    )  # fmt: skip
    relation = duckdb.connect().from_df(lines)
    # a basket of two products is two ordered pairs: the latest baskets up to the budget
    assert basket_corpus(relation, D, max_pairs=3) == [["11", "13"]]
    assert basket_corpus(relation, D, max_pairs=4) == [["10", "11"], ["11", "13"]]
    assert basket_corpus(relation, D, max_pairs=100) == [["14", "15"], ["10", "11"], ["11", "13"]]
    with pytest.raises(ValueError, match="max_pairs"):
        basket_corpus(relation, D, max_pairs=0)


def test_corpus_reads_older_days_only_while_the_pair_budget_is_not_met():
    lines = pd.DataFrame(
        [
            (1, day(-2), 10), (1, day(-2), 11),  # inside the first window (7 days)
            (2, day(-20), 12), (2, day(-20), 13),  # windows of 14 and 28 days
            (3, day(-40), 14), (3, day(-40), 15), (3, day(-40), 16),  # 56 days: six pairs
            (4, day(-400), 17), (4, day(-400), 18),  # a year earlier
        ],
        columns=["order_id", "order_date", "product_id"],
    )  # fmt: skip
    relation = duckdb.connect().from_df(lines)
    assert basket_corpus(relation, D, max_pairs=2) == [["10", "11"]]  # met in the first window
    assert basket_corpus(relation, D, max_pairs=5) == [["12", "13"], ["10", "11"]]  # basket 3 would exceed it
    assert basket_corpus(relation, D, max_pairs=10) == [["14", "15", "16"], ["12", "13"], ["10", "11"]]
    everything = [["17", "18"], ["14", "15", "16"], ["12", "13"], ["10", "11"]]
    assert basket_corpus(relation, D, max_pairs=1000) == everything  # the whole history, and no more


def _two_clusters(n: int = 2000) -> list[list[str]]:
    rng = np.random.default_rng(0)
    # products 0..9 only ever share baskets with each other, 10..19 likewise
    clusters = [[str(p) for p in range(10)], [str(p) for p in range(10, 20)]]
    return [list(rng.choice(clusters[i % 2], 3, replace=False)) for i in range(n)]


def test_item2vec_learns_pairs_within_baskets_and_is_deterministic():
    settings = SETTINGS
    first = train_item2vec(_two_clusters(), settings)
    same_basket = np.mean([first.similarity("1", str(p)) for p in range(2, 10)])
    never_together = np.mean([first.similarity("1", str(p)) for p in range(10, 20)])
    assert same_basket > never_together + 0.3
    again = train_item2vec(_two_clusters(), settings)
    np.testing.assert_array_equal(first.vectors, again.vectors)
    with pytest.raises(ValueError, match="empty"):
        train_item2vec([], settings)


def test_settings_read_from_model_meta():
    meta = {f"item2vec_{name}": str(value) for name, value in SETTINGS.as_dict().items()}
    settings = Item2VecSettings.from_meta({**meta, "item2vec_dimensions": "16", "item2vec_ns_exponent": "-0.5"})
    assert settings == dataclasses.replace(SETTINGS, dimensions=16, ns_exponent=-0.5)
    del meta["item2vec_seed"]
    with pytest.raises(KeyError, match="item2vec_seed"):
        Item2VecSettings.from_meta(meta)


# ---------------------------------------------------------------- the store
def test_anchor_dates_follow_a_grid_at_or_before_the_date():
    # 1970-01-05 + 20,580 days (735 x 28) = 2026-05-11, a Monday
    assert anchor_date(dt.date(2026, 5, 11), 28) == dt.date(2026, 5, 11)
    assert anchor_date(dt.date(2026, 6, 7), 28) == dt.date(2026, 5, 11)
    assert anchor_date(dt.date(2026, 6, 8), 28) == dt.date(2026, 6, 8)
    assert anchor_date(dt.date(2026, 6, 15), 1) == dt.date(2026, 6, 15)
    with pytest.raises(ValueError, match="at least 1 day"):
        anchor_date(dt.date(2026, 6, 15), 0)


def test_stored_anchor_round_trips_in_native_formats(tmp_path):
    settings = dataclasses.replace(SETTINGS, epochs=2)
    vectors = train_item2vec(_two_clusters(50), settings)
    files = {"orders/a.parquet": 10}
    assert store.retrain_reason(tmp_path, D, settings, files, force=False) == "no stored model"
    store.save_anchor(tmp_path, D, vectors, {"settings": settings.as_dict(), "landing_files": files})
    ids, matrix = store.load_anchor(tmp_path, D)
    native = KeyedVectors.load_word2vec_format(str(store.anchor_dir(tmp_path, D) / "vectors.w2v.bin"), binary=True)
    for product_id, row in zip(ids, matrix, strict=True):
        np.testing.assert_allclose(row, vectors[str(product_id)])
        np.testing.assert_allclose(native[str(product_id)], row)
    assert store.retrain_reason(tmp_path, D, settings, {**files, "orders/b.parquet": 5}, force=False) is None
    assert store.retrain_reason(tmp_path, D, settings, files, force=True).startswith("forced")
    changed = dataclasses.replace(settings, dimensions=4)
    assert "settings" in store.retrain_reason(tmp_path, D, changed, files, force=False)
    assert "landing changed" in store.retrain_reason(tmp_path, D, settings, {"orders/a.parquet": 11}, force=False)
    store.prune(tmp_path, keep=set())
    assert not store.anchor_dir(tmp_path, D).exists()


# ---------------------------------------------------------------- customer and offer vectors
def test_customer_vector_is_the_recency_weighted_mean_by_hand():
    product_ids = np.array([100, 200, 300])
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=np.float32)
    lines = pd.DataFrame(
        [
            # customer 1: product 100 ten days before D, product 200 forty days before
            (1, 11, day(-10), 100),
            (1, 12, day(-40), 200),
            (1, 12, day(-40), 999),  # a product without a vector is ignored
            # customer 2: product 300 on D itself (not before it)
            (2, 21, day(0), 300),
        ],
        columns=["customer_id", "order_id", "order_date", "product_id"],
    )
    requests = pd.DataFrame(
        {"customer_id": [1, 1, 1, 2, 3], "as_of_date": [day(0), day(-10), day(-50), day(0), day(0)]}
    )
    history = OrderHistory.from_lines(lines)
    customer, basket = customer_vectors(history, requests, product_ids, vectors, half_life_days=30)
    # as of D: weights 2^(-10/30) and 2^(-40/30) on (1,0) and (0,1)
    expected = np.array([2 ** (-1 / 3), 2 ** (-4 / 3)])
    np.testing.assert_allclose(customer[0], expected / np.linalg.norm(expected), rtol=1e-6)
    np.testing.assert_allclose(basket[0], [1, 0])
    # as of D-10 only the purchase forty days before D counts (strictly before)
    np.testing.assert_allclose(customer[1], [0, 1])
    np.testing.assert_allclose(basket[1], [0, 1])
    # nothing before D-50; customer 2 bought on D only; customer 3 never bought
    assert np.isnan(customer[2:]).all() and np.isnan(basket[2:]).all()


def test_customer_vectors_computed_in_batches_of_customers_equal_the_whole():
    """What item2vec_customer_vectors does: each batch of customers on its own order lines,
    with the whole request set's weight reference day; the vectors equal the unbatched ones."""
    rng = np.random.default_rng(3)
    product_ids = np.arange(1, 41)
    vectors = rng.normal(size=(40, 8)).astype(np.float32)
    lines = (
        pd.DataFrame(
            {
                "customer_id": rng.integers(1, 30, 600),
                "order_id": rng.integers(1, 120, 600),
                "order_date": [day(-int(d)) for d in rng.integers(1, 200, 600)],
                "product_id": rng.integers(1, 45, 600),
            }
        )
        .drop_duplicates(["order_id"])
        .reset_index(drop=True)
    )
    requests = pd.DataFrame(
        {"customer_id": rng.integers(1, 30, 80), "as_of_date": [day(-int(d)) for d in rng.integers(0, 150, 80)]}
    )
    whole = customer_vectors(OrderHistory.from_lines(lines), requests, product_ids, vectors, 60)
    reference = int((np.datetime64(requests.as_of_date.max(), "D") - np.datetime64("1970-01-01", "D")).astype(int))
    for low, high in ((1, 9), (10, 19), (20, 29)):
        rows = np.flatnonzero(requests.customer_id.between(low, high))
        history = OrderHistory.from_lines(lines[lines.customer_id.between(low, high)])
        batch = customer_vectors(history, requests.iloc[rows], product_ids, vectors, 60, weight_reference_day=reference)
        for got, expected in zip(batch, whole, strict=True):
            np.testing.assert_allclose(got, expected[rows], rtol=1e-6)
    assert not np.isnan(whole[0]).all()


def test_offer_vector_is_the_mean_of_its_products_by_hand():
    product_ids = np.array([100, 200])
    vectors = np.array([[1.0, 0.0], [0.0, 3.0]], dtype=np.float32)
    offer_products = pd.DataFrame({"offer_id": [7, 7, 8, 9], "product_id": [100, 200, 200, 555]})
    ids, matrix = offer_vectors(offer_products, product_ids, vectors)
    assert ids.tolist() == [7, 8]  # offer 9 has no product with a vector
    np.testing.assert_allclose(matrix[0], np.array([1, 3]) / np.sqrt(10), rtol=1e-6)
    np.testing.assert_allclose(matrix[1], [0, 1])


# ---------------------------------------------------------------- retrieval
def test_exact_search_is_brute_force_and_hnsw_recalls_it():
    rng = np.random.default_rng(1)
    items = rng.normal(size=(3000, 16)).astype(np.float32)
    items /= np.linalg.norm(items, axis=1, keepdims=True)
    queries = rng.normal(size=(200, 16)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    similarity, exact = nearest(build_index(items, IndexSettings("exact")), queries, 10)
    brute = np.argsort(-(queries @ items.T), axis=1)[:, :10]
    np.testing.assert_array_equal(exact, brute)
    np.testing.assert_allclose(similarity, np.take_along_axis(queries @ items.T, brute, axis=1), rtol=1e-5)
    _, approximate = nearest(build_index(items, IndexSettings("hnsw", hnsw_ef_search=128)), queries, 10)
    assert recall_against_exact(approximate, exact) > 0.9
    # asking for more than the index holds returns what it has
    _, few = nearest(build_index(items[:3], IndexSettings("exact")), queries[:2], 10)
    assert few.shape == (2, 3)
    with pytest.raises(ValueError, match="item2vec_index"):
        IndexSettings("annoy")


def test_recall_against_exact_by_hand():
    exact = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    approximate = np.array([[1, 2, 9, 9], [8, 7, 6, 5]])
    assert recall_against_exact(approximate, exact) == pytest.approx((2 / 4 + 4 / 4) / 2)


# ---------------------------------------------------------------- quality
def test_purity_by_hand():
    vectors = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], dtype=np.float32)
    labels = np.array(["x", "x", "y", "x"])
    neighbours, similarities = nearest_neighbours(vectors, k=1)
    assert neighbours[:, 0].tolist() == [1, 0, 3, 2]
    # cos((1, 0), (0.9, 0.1)) = 0.9 / sqrt(0.82)
    np.testing.assert_allclose(similarities[:2, 0], 0.9 / np.sqrt(0.82), rtol=1e-6)
    # item 0 -> 1 (same), 1 -> 0 (same), 2 -> 3 (differs), 3 -> 2 (differs)
    assert purity_at_k(neighbours, labels) == 0.5
    # labels x, x, x, y: P(another item shares the label) = (3*2 + 1*0) / (4*3)
    assert random_purity(np.array(["x", "x", "x", "y"])) == pytest.approx(0.5)


def test_cooccurrence_neighbours_by_hand():
    corpus = [["a", "b"], ["a", "b", "c"], ["a", "c"], ["a", "b"], ["d", "e"]]
    neighbours = cooccurrence_neighbours(corpus, ["a", "b", "c", "d"], k=2)
    # a: b three times, c twice; b: a three times, c once; c: a twice, b once; d: e is unknown
    assert neighbours.tolist() == [[1, 2], [0, 2], [0, 1], [-1, -1]]


def test_basket_completion_recall_by_hand():
    products = ["1", "2", "3", "4"]
    vectors = np.array([[1, 0], [1, 0.01], [0, 1], [0.01, 1]], dtype=np.float32)
    # with k=1 the left-out product is found only when its twin is the rest of the basket
    hits = basket_completion_hits(products, vectors, [["1", "2"], ["3", "4"], ["1", "3"], ["9"]], k=1, seed=0)
    # the last basket has no product with a vector; in the third the twin is not there
    assert hits.tolist() == [1.0, 1.0, 0.0]
