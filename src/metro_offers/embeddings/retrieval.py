"""Nearest-neighbour retrieval with FAISS over L2-normalised vectors (inner product = cosine).

Two indexes: exact (IndexFlatIP) and approximate (HNSW, Malkov & Yashunin 2018), chosen by
var item2vec_index. bench/item2vec.py reports the approximate index's recall against the
exact one and the query time.
"""

from __future__ import annotations

from dataclasses import dataclass

import faiss
import numpy as np

INDEX_KINDS = ("exact", "hnsw")


@dataclass(frozen=True)
class IndexSettings:
    kind: str = "exact"
    hnsw_m: int = 32  # links per node
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 64  # candidates kept while searching: recall against speed

    def __post_init__(self) -> None:
        if self.kind not in INDEX_KINDS:
            raise ValueError(f"unknown item2vec_index '{self.kind}': choose one of {', '.join(INDEX_KINDS)}")


def build_index(vectors: np.ndarray, settings: IndexSettings) -> faiss.Index:
    """An index over the rows of ``vectors`` (already normalised)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    if settings.kind == "exact":
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = settings.hnsw_ef_construction
        index.hnsw.efSearch = settings.hnsw_ef_search
    index.add(vectors)
    return index


def nearest(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(similarities, row ids) of the k nearest rows per query, best first; ids are -1 where
    the index holds fewer than k rows."""
    k = min(k, index.ntotal)
    if k == 0 or not len(queries):
        return np.empty((len(queries), 0), np.float32), np.empty((len(queries), 0), np.int64)
    return index.search(np.ascontiguousarray(queries, dtype=np.float32), k)


def recall_against_exact(approximate_ids: np.ndarray, exact_ids: np.ndarray) -> float:
    """Share of the exact top-k that the approximate search also returned (mean over queries)."""
    if exact_ids.size == 0:
        return float("nan")
    pairs = zip(approximate_ids, exact_ids, strict=True)
    return float(np.mean([len(set(a[a >= 0]) & set(e[e >= 0])) / max((e >= 0).sum(), 1) for a, e in pairs]))
