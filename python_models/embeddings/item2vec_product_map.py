"""A 2-D t-SNE map of the latest Item2Vec model's products, for the dashboard's Embeddings
view: the var item2vec_map_products products bought in most orders before the anchor. Computed
once per anchor and kept beside its model in the store (logic:
metro_offers.embeddings.quality.tsne_map)."""

from pathlib import Path

import numpy as np
import pandas as pd

from metro_offers.embeddings.quality import tsne_map
from metro_offers.embeddings.store import anchor_dir


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    size = int(meta["item2vec_map_products"])
    (anchor,) = dbt.ref("item2vec_embeddings").aggregate("max(anchor_date)").fetchall()[0]
    if anchor is None:  # no model: an empty map of the right types
        return session.sql(
            "select null::date as anchor_date, null::bigint as product_id, null::bigint as orders, "
            "null::double as x, null::double as y where false"
        ).df()
    cached = anchor_dir(Path(meta["model_store_dir"]), anchor) / f"map_{size}.parquet"
    if cached.exists():
        return pd.read_parquet(cached)
    top = (
        dbt.ref("int_order_lines_enriched")
        .filter(f"order_date < DATE '{anchor}'")
        .aggregate("product_id, count(distinct order_id) as orders", "product_id")
        .set_alias("counts")
        .join(dbt.ref("item2vec_embeddings").filter(f"anchor_date = DATE '{anchor}'"), "product_id")
        .order("orders desc, product_id")
        .limit(size)
        .project("product_id, orders, vector")
        .df()
    )
    print(f"[item2vec] t-SNE map of the {len(top):,} most bought products (anchor {anchor})")
    xy = tsne_map(np.stack(top["vector"].to_numpy()).astype(np.float32), seed=int(meta["item2vec_seed"]))
    frame = pd.DataFrame(
        {"anchor_date": anchor, "product_id": top["product_id"], "orders": top["orders"], "x": xy[:, 0], "y": xy[:, 1]}
    )
    frame.to_parquet(cached, index=False)
    return frame
