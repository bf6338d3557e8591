"""Customer and offer vectors in a product embedding space.

A customer as of a date is the recency-weighted mean of the vectors of the products it bought
strictly before that date (each order line weighs 2^(-age in days / half-life)); its last
basket is the mean of its last order's products. An offer is the mean of its products. Every
vector is L2-normalised (a cosine is then a dot product); rows without any known product are
NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class OrderHistory:
    """Order lines grouped in orders sorted by (customer, day, order): built once, read for
    every anchor's product space."""

    order_customer: np.ndarray  # per order
    order_day: np.ndarray  # per order, days since 1970-01-01
    line_order: np.ndarray  # per line: its order's position
    line_product: np.ndarray  # per line: position in products
    products: np.ndarray  # the distinct product ids

    @classmethod
    def from_lines(cls, lines: pd.DataFrame) -> OrderHistory:
        """lines: customer_id, order_id, order_date, product_id, in any order."""
        frame = pd.DataFrame(
            {
                "customer_id": lines["customer_id"].to_numpy(),
                "day": _days(lines["order_date"]),
                "order_id": lines["order_id"].to_numpy(),
                "product_id": lines["product_id"].to_numpy(),
            }
        ).sort_values(["customer_id", "day", "order_id"], kind="stable")
        return cls.from_sorted(*(frame[c].to_numpy() for c in ("customer_id", "day", "order_id", "product_id")))

    @classmethod
    def from_sorted(cls, customer: np.ndarray, day: np.ndarray, order: np.ndarray, product: np.ndarray) -> OrderHistory:
        """Lines already sorted by (customer, day, order); day in days since 1970-01-01."""
        new_order = np.ones(len(order), dtype=bool)
        new_order[1:] = (customer[1:] != customer[:-1]) | (day[1:] != day[:-1]) | (order[1:] != order[:-1])
        line_product, products = pd.factorize(product)
        return cls(
            order_customer=customer[new_order],
            order_day=day[new_order].astype(np.int64),
            line_order=np.cumsum(new_order) - 1,
            line_product=line_product,
            products=np.asarray(products),
        )

    def of_customers(self, customers: np.ndarray) -> OrderHistory:
        """The orders and lines of these customers only."""
        keep = np.isin(self.order_customer, customers)
        new_position = np.cumsum(keep) - 1
        lines = keep[self.line_order]
        return OrderHistory(
            order_customer=self.order_customer[keep],
            order_day=self.order_day[keep],
            line_order=new_position[self.line_order[lines]],
            line_product=self.line_product[lines],
            products=self.products,
        )


def customer_vectors(
    history: OrderHistory,
    requests: pd.DataFrame,
    product_ids: np.ndarray,
    vectors: np.ndarray,
    half_life_days: float,
    weight_reference_day: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(customer vectors, last-basket vectors), one row per request (customer_id,
    as_of_date). Computed from running sums over each customer's orders, so the cost grows
    with the orders, not with orders x requests. Line weights are taken relative to
    weight_reference_day (days since 1970-01-01; default the latest request's date), which
    callers computing the requests in batches pass so that every batch rounds alike."""
    dim = vectors.shape[1]
    out_customer = np.full((len(requests), dim), np.nan, dtype=np.float32)
    out_basket = np.full((len(requests), dim), np.nan, dtype=np.float32)
    history = history.of_customers(np.unique(requests["customer_id"].to_numpy()))
    n_orders = len(history.order_customer)
    if not n_orders or not len(requests):
        return out_customer, out_basket
    row = _product_index(product_ids, history.products)[history.line_product]
    known = row >= 0
    # each order's sum of product vectors: (orders x products) @ (products x dim)
    membership = sparse.csr_matrix(
        (np.ones(int(known.sum())), (history.line_order[known], row[known])), shape=(n_orders, len(product_ids))
    )
    basket_sums = membership @ vectors.astype(np.float64)
    # weights relative to the latest request date, so they stay in (0, 1]
    request_days = _days(requests["as_of_date"])
    reference = request_days.max() if weight_reference_day is None else weight_reference_day
    weights = np.exp2((history.order_day - reference) / float(half_life_days))
    # in place where it can be: (orders x dim) float64 arrays are most of a batch's memory
    running = basket_sums * weights[:, None]
    np.cumsum(running, axis=0, out=running)
    first_of_customer = np.ones(n_orders, dtype=bool)
    first_of_customer[1:] = history.order_customer[1:] != history.order_customer[:-1]
    start = np.maximum.accumulate(np.where(first_of_customer, np.arange(n_orders), 0))
    later = np.flatnonzero(start > 0)  # the orders after a customer's first in the batch order
    running[later] -= running[start[later] - 1]  # the right side is read before any row changes
    # the customer's last order strictly before each request's date, through one sort key
    customers = np.unique(history.order_customer)
    span = int(max(history.order_day.max(), request_days.max())) + 2
    rank_orders = np.searchsorted(customers, history.order_customer)
    request_customer = requests["customer_id"].to_numpy()
    rank_requests = np.clip(np.searchsorted(customers, request_customer), 0, len(customers) - 1)
    last = np.searchsorted(rank_orders * span + history.order_day, rank_requests * span + request_days) - 1
    valid = (customers[rank_requests] == request_customer) & (last >= 0)
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
