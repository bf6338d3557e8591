"""Item2Vec: skip-gram with negative sampling over baskets (gensim Word2Vec).

Deterministic for a seed: one worker thread (gensim's threads interleave their updates in a
non-deterministic order) and gensim's seeded initialisation, which does not depend on Python's
string hashing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from gensim.models import KeyedVectors, Word2Vec

from metro_offers.var_settings import settings_from_vars


@dataclass(frozen=True)
class Item2VecSettings:
    """The hyperparameters: dbt vars item2vec_<field> (their one home is dbt_project.yml).
    Caselles-Dupré et al. (RecSys 2018) found the negative-sampling exponent and the epochs
    matter most for recommendation."""

    dimensions: int
    epochs: int
    negative: int
    ns_exponent: float
    min_count: int
    subsample: float  # gensim's `sample`: products above this share of the corpus are down-sampled
    max_pairs: int
    seed: int

    @classmethod
    def from_meta(cls, meta: dict) -> Item2VecSettings:
        """From a dbt Python model's meta (strings) or the project's vars: keys item2vec_<field>."""
        return settings_from_vars(cls, "item2vec", meta)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def train_item2vec(corpus: list[list[str]], settings: Item2VecSettings) -> KeyedVectors:
    """Product vectors learnt from ``corpus`` (see corpus.basket_corpus)."""
    if not corpus:
        raise ValueError("the Item2Vec corpus is empty: no basket with two products before the as-of date")
    model = Word2Vec(
        sentences=corpus,
        vector_size=settings.dimensions,
        # every pair of a basket is a context: the window spans the largest basket, unshrunk
        window=max(len(basket) for basket in corpus),
        shrink_windows=False,
        sg=1,
        hs=0,
        negative=settings.negative,
        ns_exponent=settings.ns_exponent,
        min_count=settings.min_count,
        sample=settings.subsample,
        epochs=settings.epochs,
        seed=settings.seed,
        workers=1,
    )
    return model.wv


def product_matrix(vectors: KeyedVectors) -> tuple[np.ndarray, np.ndarray]:
    """(product ids as int64, their vectors as float32), in the model's order."""
    ids = np.array([int(k) for k in vectors.index_to_key], dtype=np.int64)
    return ids, np.asarray(vectors.vectors, dtype=np.float32)
