"""The Item2Vec corpus: baskets as "sentences" of product ids.

Item2Vec (Barkan & Koenigstein 2016) treats a basket as a set: every pair of its products is
a context pair, whatever their order in the basket. ``train_item2vec`` makes the window the
largest basket so that no pair is left out.
"""

from __future__ import annotations

import datetime as dt

import duckdb


def basket_corpus(order_lines: duckdb.DuckDBPyRelation, before: dt.date, max_pairs: int) -> list[list[str]]:
    """The distinct products (as strings) of each order dated strictly before ``before`` with
    at least two products (a single product has no pair): the latest orders whose ordered
    pairs, n x (n - 1) for n products, add up to at most ``max_pairs``, oldest first. Training
    costs in proportion to the pairs, so the budget holds whatever the basket sizes.
    ``order_lines`` has order_id, order_date and product_id."""
    if max_pairs < 1:
        raise ValueError(f"max_pairs must be at least 1, got {max_pairs}")
    baskets = (
        order_lines.filter(f"order_date < DATE '{before.isoformat()}'")
        .aggregate(
            "order_id, max(order_date) as order_date, list(distinct product_id order by product_id) as products",
            "order_id",
        )
        .filter("len(products) >= 2")
        .project(
            "order_id, order_date, products, sum(len(products) * (len(products) - 1)) over "
            "(order by order_date desc, order_id desc rows unbounded preceding) as pairs_so_far"
        )
        .filter(f"pairs_so_far <= {int(max_pairs)}")
        .order("order_date, order_id")
        .project("products")
        .fetchall()
    )
    return [[str(p) for p in products] for (products,) in baskets]
