"""Trains (or reuses) the Item2Vec model of every anchor a build needs."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import duckdb
import numpy as np

from metro_offers.anchors import anchor_date
from metro_offers.embeddings import store as anchors
from metro_offers.embeddings.corpus import basket_corpus
from metro_offers.embeddings.item2vec import Item2VecSettings, train_item2vec

MIN_BASKETS = 100  # fewer baskets than this teach no product relations worth a feature


def ensure_anchors(
    order_lines: duckdb.DuckDBPyRelation,
    as_of_dates: list[dt.date],
    settings: Item2VecSettings,
    spacing_days: int,
    store: Path,
    files: dict[str, int],
    force: bool = False,
    echo=print,
) -> dict[dt.date, tuple[np.ndarray, np.ndarray]]:
    """The product vectors of the anchor of each of ``as_of_dates`` (anchor date -> (ids,
    vectors)), training the anchors that have no valid stored model; anchors with fewer than
    MIN_BASKETS baskets before them get no model; anchors no longer needed are removed from
    the store."""
    needed = sorted({anchor_date(d, spacing_days) for d in as_of_dates})
    result = {}
    for anchor in needed:
        reason = anchors.retrain_reason(store, anchor, settings, files, force)
        if reason:
            started = time.perf_counter()
            corpus = basket_corpus(order_lines, anchor, settings.max_pairs)
            if len(corpus) < MIN_BASKETS:
                echo(f"[item2vec] anchor {anchor}: only {len(corpus):,} baskets before it, no model (features null)")
                continue
            vectors = train_item2vec(corpus, settings)
            seconds = time.perf_counter() - started
            anchors.save_anchor(
                store,
                anchor,
                vectors,
                {
                    "settings": settings.as_dict(),
                    "reason": reason,
                    "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "training_seconds": round(seconds, 2),
                    "corpus_baskets": len(corpus),
                    "products": len(vectors),
                    "landing_files": files,
                },
            )
            echo(
                f"[item2vec] anchor {anchor}: trained on {len(corpus):,} baskets, {len(vectors):,} products "
                f"in {seconds:.1f} s ({reason})"
            )
        else:
            echo(f"[item2vec] anchor {anchor}: reusing the stored model")
        result[anchor] = anchors.load_anchor(store, anchor)
    anchors.prune(store, set(needed))
    return result
