"""Item2Vec product vectors for every anchor this build needs (one per candidate pool's date:
var item2vec_anchor_days), trained on baskets strictly before the anchor or reused from the
model store (logic: metro_offers.embeddings.training). Empty when var item2vec_enabled is
false: the item2vec strategy then proposes nothing and its features are null."""

from pathlib import Path

import numpy as np
import pyarrow as pa

from metro_offers.embeddings.item2vec import Item2VecSettings
from metro_offers.embeddings.store import vector_array
from metro_offers.embeddings.training import ensure_anchors
from metro_offers.ranking.registry import landing_files


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    settings = Item2VecSettings.from_meta(meta)
    # a model per pool (its date's anchor): none saw the pool's label window
    pool_dates = [row[0] for row in dbt.ref("int_pool_dates").project("as_of_date").fetchall()]
    anchors = {}
    if str(meta["item2vec_enabled"]).lower() == "true":
        anchors = ensure_anchors(
            dbt.ref("int_order_lines_enriched").project("order_id, order_date, product_id"),
            pool_dates,
            settings,
            int(meta["item2vec_anchor_days"]),
            Path(meta["model_store_dir"]),
            landing_files(Path(meta["raw_root"])),
            force=str(meta["force_retrain"]).lower() == "true",
        )
    dim = settings.dimensions
    return pa.table(
        {
            "anchor_date": pa.array([a for a, (ids, _) in anchors.items() for _ in ids], pa.date32()),
            "product_id": pa.array(np.concatenate([ids for ids, _ in anchors.values()] + [np.empty(0, np.int64)])),
            "vector": vector_array(np.concatenate([v for _, v in anchors.values()] + [np.empty((0, dim), np.float32)])),
        }
    )
