"""Each customer's Item2Vec vectors as of every date features are requested for
(int_feature_requests): the recency-weighted mean of the products it bought before the date
(half-life var item2vec_customer_half_life_days) and the mean of its last basket, in the
space of the latest anchor at or before the date (logic: metro_offers.embeddings.vectors).
Customers with no product known to the model are left out."""

import numpy as np
import pandas as pd
import pyarrow as pa

from metro_offers.embeddings.store import vector_array
from metro_offers.embeddings.vectors import OrderHistory, customer_vectors


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    embeddings = dbt.ref("item2vec_embeddings").df()
    requests = dbt.ref("int_feature_requests").project("customer_id, as_of_date").df()
    embedding_anchor = pd.to_datetime(embeddings["anchor_date"]).dt.date
    anchors = sorted(embedding_anchor.unique())
    # the latest anchor at or before each request's date (none before the first anchor)
    request_dates = requests["as_of_date"].to_numpy(dtype="datetime64[D]")
    anchor_dates = np.array(anchors, dtype="datetime64[D]")
    position = np.searchsorted(anchor_dates, request_dates, side="right") - 1
    history = None
    dim = int(meta["item2vec_dimensions"])
    kept, anchor_of, customer_parts, basket_parts = (
        [],
        [],
        [np.empty((0, dim), np.float32)],
        [np.empty((0, dim), np.float32)],
    )
    for i, anchor in enumerate(anchors):
        rows = np.flatnonzero(position == i)
        if not len(rows):
            continue
        if history is None:  # read once, sorted by DuckDB (in parallel)
            lines = (
                dbt.ref("int_order_lines_enriched")
                .filter(f"order_date < DATE '{request_dates.max()}'")
                .project("customer_id, date_diff('day', DATE '1970-01-01', order_date) as day, order_id, product_id")
                .order("customer_id, day, order_id")
                .fetchnumpy()
            )
            history = OrderHistory.from_sorted(*(lines[c] for c in ("customer_id", "day", "order_id", "product_id")))
        products = embeddings[embedding_anchor == anchor]
        customer, basket = customer_vectors(
            history,
            requests.iloc[rows],
            products["product_id"].to_numpy(),
            np.stack(products["vector"].to_numpy()).astype(np.float32),
            float(meta["item2vec_customer_half_life_days"]),
        )
        known = ~np.isnan(customer).any(axis=1)
        print(f"[item2vec] anchor {anchor}: vectors for {known.sum():,} of {len(rows):,} (customer, date) requests")
        kept.append(rows[known])
        anchor_of += [anchor] * int(known.sum())
        customer_parts.append(customer[known])
        basket_parts.append(basket[known])
    rows = np.concatenate(kept + [np.empty(0, np.int64)])
    return pa.table(
        {
            "customer_id": pa.array(requests["customer_id"].to_numpy()[rows], pa.int64()),
            "as_of_date": pa.array(request_dates[rows], pa.date32()),
            "anchor_date": pa.array(anchor_of, pa.date32()),
            "customer_vector": vector_array(np.concatenate(customer_parts)),
            "last_basket_vector": vector_array(np.concatenate(basket_parts)),
        }
    )
