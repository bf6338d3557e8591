"""How good product embeddings are: neighbour category purity (against random and against a
plain co-occurrence neighbour list), held-out basket completion, and a 2-D t-SNE map."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import numpy as np
from scipy import sparse

from metro_offers.embeddings.vectors import normalise


def nearest_neighbours(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For each row, the rows of its k most cosine-similar others and their similarities,
    best first."""
    unit = normalise(vectors)
    neighbours = np.empty((len(unit), k), dtype=np.int64)
    similarities = np.empty((len(unit), k), dtype=np.float32)
    for start in range(0, len(unit), 2048):
        similarity = unit[start : start + 2048] @ unit.T
        similarity[np.arange(len(similarity)), np.arange(start, start + len(similarity))] = -np.inf
        top = np.argpartition(-similarity, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(similarity, top, axis=1), axis=1)
        best = np.take_along_axis(top, order, axis=1)
        neighbours[start : start + len(similarity)] = best
        similarities[start : start + len(similarity)] = np.take_along_axis(similarity, best, axis=1)
    return neighbours, similarities


def purity_at_k(neighbours: np.ndarray, labels: np.ndarray) -> float:
    """Mean share of each item's neighbours that share its label (category, department)."""
    labels = np.asarray(labels)
    valid = neighbours >= 0
    same = (labels[np.where(valid, neighbours, 0)] == labels[:, None]) & valid
    return float(same.sum() / valid.sum())


def random_purity(labels: np.ndarray) -> float:
    """The purity a random neighbour list has in expectation: P(another item shares the label)."""
    counts = np.array(list(Counter(np.asarray(labels).tolist()).values()), dtype=float)
    n = counts.sum()
    return float((counts * (counts - 1)).sum() / (n * (n - 1)))


def cooccurrence_neighbours(corpus: list[list[str]], products: list[str], k: int) -> np.ndarray:
    """The k products most often in the same basket as each of ``products`` (ties broken by
    product order; -1 where fewer than k ever co-occur): the plain baseline Item2Vec must beat."""
    position = {p: i for i, p in enumerate(products)}
    rows, cols = [], []
    for basket in corpus:
        known = sorted({position[p] for p in basket if p in position})
        for a, b in combinations(known, 2):
            rows += [a, b]
            cols += [b, a]
    counts = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(products), len(products)))
    counts.sum_duplicates()
    neighbours = np.full((len(products), k), -1, dtype=np.int64)
    for i in range(len(products)):
        start, end = counts.indptr[i], counts.indptr[i + 1]
        cols_i, counts_i = counts.indices[start:end], counts.data[start:end]
        best = np.lexsort((cols_i, -counts_i))[:k]
        neighbours[i, : len(best)] = cols_i[best]
    return neighbours


def basket_completion_hits(
    product_ids: list[str], vectors: np.ndarray, baskets: list[list[str]], k: int, seed: int
) -> np.ndarray:
    """Held-out basket completion: for each basket with at least two products that have
    vectors, one of them left out (chosen at random, seeded) and the whole catalogue ranked by
    cosine to the mean of the rest (the rest excluded). 1.0 where the left-out product is in
    the top k, 0.0 where not; its mean is Recall@k."""
    rng = np.random.default_rng(seed)
    row = {p: i for i, p in enumerate(product_ids)}
    unit = normalise(vectors)
    hits = []
    for basket in baskets:
        known = [row[p] for p in dict.fromkeys(basket) if p in row]
        if len(known) < 2:
            continue
        left_out = known.pop(int(rng.integers(len(known))))
        similarity = unit @ unit[known].mean(axis=0)
        similarity[known] = -np.inf
        hits.append(left_out in np.argpartition(-similarity, k)[:k])
    return np.array(hits, dtype=float)


def tsne_map(vectors: np.ndarray, seed: int) -> np.ndarray:
    """2-D t-SNE coordinates of the rows (cosine distances, PCA initialisation)."""
    from sklearn.manifold import TSNE  # here: the dashboard imports this module and never maps

    perplexity = float(min(30, max(2, (len(vectors) - 1) // 3)))
    return TSNE(
        n_components=2, metric="cosine", init="pca", perplexity=perplexity, random_state=seed, n_jobs=1
    ).fit_transform(normalise(vectors))
