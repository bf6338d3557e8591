"""Candidate retrieval by Item2Vec: for each pool, the offers valid in the pool whose vectors
are nearest each customer's (FAISS, exact or HNSW by var item2vec_index; logic:
metro_offers.embeddings.retrieval). Returns twice the strategy's quota per customer, so that
int_candidates_item2vec can drop the offers a customer already redeemed and still fill it."""

import numpy as np
import pyarrow as pa

from metro_offers.embeddings.retrieval import IndexSettings, build_index, nearest


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    settings = IndexSettings(
        kind=meta["item2vec_index"],
        hnsw_m=int(meta["item2vec_hnsw_m"]),
        hnsw_ef_construction=int(meta["item2vec_hnsw_ef_construction"]),
        hnsw_ef_search=int(meta["item2vec_hnsw_ef_search"]),
    )
    k = 2 * int(meta["item2vec_quota"])
    customers = dbt.ref("int_pool_customers")
    customer_vectors = dbt.ref("item2vec_customer_vectors")
    offer_vectors = dbt.ref("item2vec_offer_vectors")
    live = dbt.ref("int_offers_live")
    columns = {"pool": [], "as_of_date": [], "customer_id": [], "offer_id": [], "strategy_score": []}
    pools = customers.aggregate("pool, as_of_date", "pool, as_of_date").order("pool").fetchall()
    for pool, as_of_date in pools:
        pool_customers = customers.filter(f"pool = '{pool}'").project("customer_id").fetchnumpy()["customer_id"]
        queries = customer_vectors.filter(f"as_of_date = DATE '{as_of_date}'").order("customer_id").fetchnumpy()
        keep = np.isin(queries["customer_id"], pool_customers)
        if not keep.any():
            continue
        anchor = queries["anchor_date"][keep][0]
        live_offers = live.filter(f"pool = '{pool}'").project("offer_id").fetchnumpy()["offer_id"]
        offers = offer_vectors.filter(f"anchor_date = DATE '{anchor}'").order("offer_id").fetchnumpy()
        offers = {name: values[np.isin(offers["offer_id"], live_offers)] for name, values in offers.items()}
        if not len(offers["offer_id"]):
            continue
        queries = {name: values[keep] for name, values in queries.items()}
        index = build_index(np.stack(offers["vector"]), settings)
        similarity, rows = nearest(index, np.stack(queries["customer_vector"]), k)
        found = rows >= 0
        columns["pool"] += [pool] * int(found.sum())
        columns["as_of_date"] += [as_of_date] * int(found.sum())
        columns["customer_id"].append(np.repeat(queries["customer_id"], found.sum(axis=1)))
        columns["offer_id"].append(offers["offer_id"][rows[found]])
        columns["strategy_score"].append(similarity[found])
        print(f"[item2vec] pool {pool}: {found.sum():,} candidates for {len(queries['customer_id']):,} customers")
    return pa.table(
        {
            "pool": pa.array(columns["pool"], pa.string()),
            "as_of_date": pa.array(columns["as_of_date"], pa.date32()),
            "customer_id": pa.array(np.concatenate(columns["customer_id"] + [np.empty(0, np.int64)]), pa.int64()),
            "offer_id": pa.array(np.concatenate(columns["offer_id"] + [np.empty(0, np.int64)]), pa.int64()),
            "strategy_score": pa.array(
                np.concatenate(columns["strategy_score"] + [np.empty(0, np.float32)]), pa.float64()
            ),
        }
    )
