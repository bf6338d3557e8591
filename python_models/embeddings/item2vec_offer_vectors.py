"""Each offer's Item2Vec vector in every anchor's space: the normalised mean of its products'
vectors (stg_metro__offer_products; logic: metro_offers.embeddings.vectors). Offers none of
whose products the model knows are left out."""

import numpy as np
import pyarrow as pa

from metro_offers.embeddings.store import vector_array
from metro_offers.embeddings.vectors import offer_vectors


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    dim = int(meta["item2vec_dimensions"])
    embeddings = dbt.ref("item2vec_embeddings").df()
    offer_products = dbt.ref("stg_metro__offer_products").project("offer_id, product_id").df()
    anchors, offers, parts = [], [np.empty(0, np.int64)], [np.empty((0, dim), np.float32)]
    for anchor, products in embeddings.groupby("anchor_date", sort=True):
        ids, vectors = offer_vectors(
            offer_products, products["product_id"].to_numpy(), np.stack(products["vector"].to_numpy())
        )
        anchors += [anchor] * len(ids)
        offers.append(ids)
        parts.append(vectors)
    return pa.table(
        {
            "anchor_date": pa.array(anchors, pa.date32()),
            "offer_id": pa.array(np.concatenate(offers), pa.int64()),
            "vector": vector_array(np.concatenate(parts)),
        }
    )
