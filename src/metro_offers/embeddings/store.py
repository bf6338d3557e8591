"""Item2Vec models in the model store: one per anchor date, in native formats (no pickle).

<model_store_dir>/item2vec/<anchor date>/
    vectors.parquet      product_id, vector (float32)
    vectors.w2v.bin      the same in the word2vec binary format (gensim KeyedVectors.load_word2vec_format)
    meta.json            settings, corpus size, training time, library versions, the landing it read

An as-of date uses the model of its anchor (metro_offers.anchors): the latest date on a grid
of var item2vec_anchor_days days at or before it, trained on baskets strictly before the
anchor. A daily run reuses the anchors it finds; a new anchor is trained when the grid moves
past one.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import gensim
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from gensim.models import KeyedVectors

from metro_offers import anchors
from metro_offers.embeddings.item2vec import Item2VecSettings, product_matrix

ITEM2VEC_DIR = "item2vec"


def anchor_dir(store: Path, anchor: dt.date) -> Path:
    return anchors.anchor_dir(store, ITEM2VEC_DIR, anchor)


def retrain_reason(store: Path, anchor: dt.date, settings: Item2VecSettings, files: dict, force: bool) -> str | None:
    """Why the anchor's model must be trained, or None to reuse the stored one."""
    return anchors.retrain_reason(store, ITEM2VEC_DIR, anchor, "vectors.parquet", settings.as_dict(), files, force)


def vector_array(vectors: np.ndarray) -> pa.FixedSizeListArray:
    """Rows of a float32 matrix as an Arrow fixed-size list (DuckDB FLOAT[n])."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    return pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), vectors.shape[1])


def save_anchor(store: Path, anchor: dt.date, vectors: KeyedVectors, provenance: dict) -> None:
    """Write the anchor's model (replacing an older one) and its provenance."""
    ids, matrix = product_matrix(vectors)
    meta = {"anchor_date": anchor.isoformat(), "gensim_version": gensim.__version__, **provenance}

    def write(folder: Path) -> None:
        pq.write_table(pa.table({"product_id": ids, "vector": vector_array(matrix)}), folder / "vectors.parquet")
        vectors.save_word2vec_format(str(folder / "vectors.w2v.bin"), binary=True)
        (folder / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True))

    anchors.replace_dir(anchor_dir(store, anchor), write)


def load_anchor(store: Path, anchor: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """(product ids, float32 vectors) of a stored anchor."""
    table = pq.read_table(anchor_dir(store, anchor) / "vectors.parquet")
    ids = table.column("product_id").to_numpy()
    flat = table.column("vector").combine_chunks().flatten().to_numpy()
    return ids, flat.reshape(len(ids), -1).astype(np.float32)


def prune(store: Path, keep: set[dt.date]) -> None:
    """Remove stored anchors no build needs any more."""
    anchors.prune(store, ITEM2VEC_DIR, keep)
