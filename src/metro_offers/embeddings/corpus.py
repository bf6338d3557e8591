"""The Item2Vec corpus: baskets as "sentences" of product ids.

Item2Vec (Barkan & Koenigstein 2016) treats a basket as a set: every pair of its products is
a context pair, whatever their order in the basket. ``train_item2vec`` makes the window the
largest basket so that no pair is left out.
"""

from __future__ import annotations

import datetime as dt

import duckdb


def basket_corpus(order_lines: duckdb.DuckDBPyRelation, before: dt.date, max_baskets: int) -> list[list[str]]:
    """The distinct products (as strings) of each order dated strictly before ``before``: the
    latest ``max_baskets`` orders with at least two products (a single product has no pair),
    oldest first. ``order_lines`` has order_id, order_date and product_id."""
    if max_baskets < 1:
        raise ValueError(f"max_baskets must be at least 1, got {max_baskets}")
    baskets = (
        order_lines.filter(f"order_date < DATE '{before.isoformat()}'")
        .aggregate(
            "order_id, max(order_date) as order_date, list(distinct product_id order by product_id) as products",
            "order_id",
        )
        .filter("len(products) >= 2")
        .order("order_date desc, order_id desc")
        .limit(max_baskets)
        .order("order_date, order_id")
        .project("products")
        .fetchall()
    )
    return [[str(p) for p in products] for (products,) in baskets]
