"""Each customer's Item2Vec vectors as of every date features are requested for
(int_feature_requests): the recency-weighted mean of the products it bought before the date
(half-life var item2vec_customer_half_life_days) and the mean of its last basket, in the
space of the latest anchor at or before the date (logic: metro_offers.embeddings.vectors).
Customers with no product known to the model are left out. Customers are read and computed
in batches (var python_model_batch_customers), so memory is bounded by a batch's order
lines, not the whole history's."""

import numpy as np
import pandas as pd
import pyarrow as pa

from metro_offers.embeddings.store import vector_array
from metro_offers.embeddings.vectors import EPOCH, OrderHistory, customer_vectors


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    embeddings = dbt.ref("item2vec_embeddings").df()
    requests = dbt.ref("int_feature_requests").project("customer_id, as_of_date").df()
    lines = dbt.ref("int_order_lines_enriched")
    embedding_anchor = pd.to_datetime(embeddings["anchor_date"]).dt.date
    anchors = sorted(embedding_anchor.unique())
    spaces = {
        anchor: (
            embeddings.loc[embedding_anchor == anchor, "product_id"].to_numpy(),
            np.stack(embeddings.loc[embedding_anchor == anchor, "vector"].to_numpy()).astype(np.float32),
        )
        for anchor in anchors
    }
    # the latest anchor at or before each request's date (none before the first anchor)
    request_dates = requests["as_of_date"].to_numpy(dtype="datetime64[D]")
    anchor_dates = np.array(anchors, dtype="datetime64[D]")
    position = np.searchsorted(anchor_dates, request_dates, side="right") - 1
    latest_day = int((request_dates.max() - EPOCH).astype(np.int64)) if len(requests) else 0
    dim = int(meta["item2vec_dimensions"])
    kept, anchor_of, customer_parts, basket_parts = (
        [],
        [],
        [np.empty((0, dim), np.float32)],
        [np.empty((0, dim), np.float32)],
    )
    customer_ids = requests["customer_id"].to_numpy()
    customers = np.unique(customer_ids[position >= 0])
    batch_size = int(meta["python_model_batch_customers"])
    for first in range(0, len(customers), batch_size):
        low, high = customers[first], customers[min(first + batch_size, len(customers)) - 1]
        in_batch = (customer_ids >= low) & (customer_ids <= high)
        # the batch's order lines, sorted by DuckDB (in parallel)
        batch_lines = (
            lines.filter(f"customer_id between {low} and {high} and order_date < DATE '{request_dates.max()}'")
            .project("customer_id, date_diff('day', DATE '1970-01-01', order_date) as day, order_id, product_id")
            .order("customer_id, day, order_id")
            .fetchnumpy()
        )
        history = OrderHistory.from_sorted(*(batch_lines[c] for c in ("customer_id", "day", "order_id", "product_id")))
        for i, anchor in enumerate(anchors):
            rows = np.flatnonzero(in_batch & (position == i))
            if not len(rows):
                continue
            customer, basket = customer_vectors(
                history,
                requests.iloc[rows],
                *spaces[anchor],
                float(meta["item2vec_customer_half_life_days"]),
                weight_reference_day=latest_day,
            )
            known = ~np.isnan(customer).any(axis=1)
            kept.append(rows[known])
            anchor_of += [anchor] * int(known.sum())
            customer_parts.append(customer[known])
            basket_parts.append(basket[known])
        print(
            f"[item2vec] customers {low:,}–{high:,}: vectors for "
            f"{sum(len(k) for k in kept):,} (customer, date) requests so far"
        )
    rows = np.concatenate(kept + [np.empty(0, np.int64)])
    return pa.table(
        {
            "customer_id": pa.array(customer_ids[rows], pa.int64()),
            "as_of_date": pa.array(request_dates[rows], pa.date32()),
            "anchor_date": pa.array(anchor_of, pa.date32()),
            "customer_vector": vector_array(np.concatenate(customer_parts)),
            "last_basket_vector": vector_array(np.concatenate(basket_parts)),
        }
    )
