"""Customer and offer vectors in a product embedding space.

A customer as of a date is the recency-weighted mean of the vectors of the products it bought
strictly before that date (each order line weighs 2^(-age in days / half-life)); its last
basket is the mean of its last order's products. An offer is the mean of its products. Every
vector is L2-normalised (a cosine is then a dot product); rows without any known product are
NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

EPOCH = np.datetime64("1970-01-01", "D")


def _days(dates) -> np.ndarray:
    return (np.asarray(pd.to_datetime(dates).values, dtype="datetime64[D]") - EPOCH).astype(np.int64)


def normalise(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; zero rows become NaN."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norms > 0, matrix / norms, np.nan).astype(np.float32)


def _product_index(product_ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Row of each wanted product in product_ids, -1 when it has no vector."""
    order = np.argsort(product_ids)
    position = np.searchsorted(product_ids[order], wanted)
    position = np.clip(position, 0, len(product_ids) - 1)
    found = product_ids[order][position] == wanted
    return np.where(found, order[position], -1)


def customer_vectors(
    lines: pd.DataFrame,
    requests: pd.DataFrame,
    product_ids: np.ndarray,
    vectors: np.ndarray,
    half_life_days: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(customer vectors, last-basket vectors), one row per request.

    lines: customer_id, order_id, order_date, product_id (order lines); requests:
    customer_id, as_of_date. Computed from running sums over each customer's orders, so the
    cost grows with the orders, not with orders x requests."""
    dim = vectors.shape[1]
    out_customer = np.full((len(requests), dim), np.nan, dtype=np.float32)
    out_basket = np.full((len(requests), dim), np.nan, dtype=np.float32)
    product_row = _product_index(product_ids, lines["product_id"].to_numpy())
    known = product_row >= 0
    if not known.any() or not len(requests):
        return out_customer, out_basket
    frame = pd.DataFrame(
        {
            "customer_id": lines["customer_id"].to_numpy()[known],
            "day": _days(lines["order_date"].to_numpy()[known]),
            "order_id": lines["order_id"].to_numpy()[known],
            "row": product_row[known],
        }
    ).sort_values(["customer_id", "day", "order_id"], kind="stable")
    order_key = frame[["customer_id", "day", "order_id"]].to_numpy()
    new_order = np.ones(len(frame), dtype=bool)
    new_order[1:] = (order_key[1:] != order_key[:-1]).any(axis=1)
    order_of_line = np.cumsum(new_order) - 1
    orders = order_key[new_order]  # customer_id, day, order_id per order, sorted
    n_orders = len(orders)
    # each order's sum of product vectors: (orders x products) @ (products x dim)
    membership = sparse.csr_matrix(
        (np.ones(len(frame)), (order_of_line, frame["row"].to_numpy())), shape=(n_orders, len(product_ids))
    )
    basket_sums = membership @ vectors.astype(np.float64)
    # weights relative to the latest request date, so they stay in (0, 1]
    request_days = _days(requests["as_of_date"])
    weights = np.exp2((orders[:, 1] - request_days.max()) / float(half_life_days))
    running = np.cumsum(basket_sums * weights[:, None], axis=0)
    first_of_customer = np.ones(n_orders, dtype=bool)
    first_of_customer[1:] = orders[1:, 0] != orders[:-1, 0]
    start = np.maximum.accumulate(np.where(first_of_customer, np.arange(n_orders), 0))
    before_start = np.where(start > 0, start - 1, 0)
    running -= np.where((start > 0)[:, None], running[before_start], 0.0)
    # the customer's last order strictly before each request's date
    customers = np.unique(orders[:, 0])
    request_customer = requests["customer_id"].to_numpy()
    # sort key (customer rank, day) compared lexicographically through one integer
    span = int(max(orders[:, 1].max(), request_days.max())) + 2
    rank_orders = np.searchsorted(customers, orders[:, 0])
    order_sort_key = rank_orders * span + orders[:, 1]
    rank_requests = np.searchsorted(customers, request_customer)
    has_orders = (rank_requests < len(customers)) & (
        customers[np.clip(rank_requests, 0, len(customers) - 1)] == request_customer
    )
    last = np.searchsorted(order_sort_key, rank_requests * span + request_days, side="left") - 1
    valid = has_orders & (last >= 0)
    valid[valid] &= rank_orders[last[valid]] == rank_requests[valid]
    out_customer[valid] = normalise(running[last[valid]])
    out_basket[valid] = normalise(basket_sums[last[valid]])
    return out_customer, out_basket


def offer_vectors(
    offer_products: pd.DataFrame, product_ids: np.ndarray, vectors: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(offer ids, the normalised mean vector of each offer's products that have vectors);
    offers with none are left out. offer_products: offer_id, product_id."""
    row = _product_index(product_ids, offer_products["product_id"].to_numpy())
    known = offer_products.loc[row >= 0, ["offer_id"]].assign(row=row[row >= 0])
    if known.empty:
        return np.array([], dtype=np.int64), np.empty((0, vectors.shape[1]), dtype=np.float32)
    offers, offer_row = np.unique(known["offer_id"].to_numpy(), return_inverse=True)
    membership = sparse.csr_matrix(
        (np.ones(len(known)), (offer_row, known["row"].to_numpy())), shape=(len(offers), len(product_ids))
    )
    sums = membership @ vectors.astype(np.float64)
    return offers, normalise(sums)
