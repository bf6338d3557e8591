"""The Item2Vec corpus: baskets as "sentences" of product ids.

Item2Vec (Barkan & Koenigstein 2016) treats a basket as a set: every pair of its products is
a context pair, whatever their order in the basket. ``train_item2vec`` makes the window the
largest basket so that no pair is left out.
"""

from __future__ import annotations

import datetime as dt

import duckdb

FIRST_WINDOW_DAYS = 7  # the days read first; doubled until they hold the pair budget


def basket_corpus(order_lines: duckdb.DuckDBPyRelation, before: dt.date, max_pairs: int) -> list[list[str]]:
    """The distinct products (as strings) of each order dated strictly before ``before`` with
    at least two products (a single product has no pair): the latest orders whose ordered
    pairs, n x (n - 1) for n products, add up to at most ``max_pairs``, oldest first. Training
    costs in proportion to the pairs, so the budget holds whatever the basket sizes.
    ``order_lines`` has order_id, order_date and product_id.

    Only the latest days are read: a window of FIRST_WINDOW_DAYS before ``before``, doubled
    until its baskets hold at least ``max_pairs`` pairs or no older line is left. Whole days
    enter a window and the latest orders are taken first, so once a window's pairs reach the
    budget no older order could be taken: the corpus is the one the whole history gives, read
    at a cost that follows the budget, not the history (the date filter skips DuckDB's row
    groups of other days)."""
    if max_pairs < 1:
        raise ValueError(f"max_pairs must be at least 1, got {max_pairs}")
    days = FIRST_WINDOW_DAYS
    while True:
        since = before - dt.timedelta(days=days)
        window = order_lines.filter(
            f"order_date >= DATE '{since.isoformat()}' AND order_date < DATE '{before.isoformat()}'"
        )
        baskets, window_pairs = _latest_baskets(window, max_pairs)
        if (
            window_pairs >= max_pairs
            or not order_lines.filter(f"order_date < DATE '{since.isoformat()}'").limit(1).fetchall()
        ):
            return baskets
        days *= 2


def _latest_baskets(order_lines: duckdb.DuckDBPyRelation, max_pairs: int) -> tuple[list[list[str]], int]:
    """The baskets of ``basket_corpus`` among ``order_lines``, and the pairs of all of them."""
    rows = (
        order_lines.aggregate(
            "order_id, max(order_date) as order_date, list(distinct product_id order by product_id) as products",
            "order_id",
        )
        .filter("len(products) >= 2")
        .project(
            "order_id, order_date, products, "
            "sum(len(products) * (len(products) - 1)) over "
            "(order by order_date desc, order_id desc rows unbounded preceding) as pairs_so_far, "
            "sum(len(products) * (len(products) - 1)) over () as window_pairs"
        )
        .filter(f"pairs_so_far <= {int(max_pairs)} OR pairs_so_far = window_pairs")
        .order("order_date, order_id")
        .project(f"products, pairs_so_far <= {int(max_pairs)} as taken, window_pairs")
        .fetchall()
    )
    window_pairs = int(rows[0][2]) if rows else 0
    return [[str(p) for p in products] for products, taken, _ in rows if taken], window_pairs
