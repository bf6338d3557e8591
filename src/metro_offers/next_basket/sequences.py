"""Customers' basket sequences as dense arrays for the sequential models.

A sequence is a customer's latest baskets, oldest first and right-aligned (the latest basket
in the last slot, empty slots at the start). Each basket is its distinct products as codes
(product index in the catalogue + 1; 0 = empty slot), in product-id order and cut at
``max_items``. Each basket also carries the days since the customer's previous basket (the
rhythm of weekly shopping), bucketed by ``gap_bucket``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# upper ends (days) of the gap buckets; bucket 0 = no previous basket, the last = longer
GAP_EDGES = (0, 1, 2, 4, 7, 14, 30)
GAP_BUCKETS = len(GAP_EDGES) + 2


def gap_bucket(days: np.ndarray) -> np.ndarray:
    """Bucket of each gap in days (NaN = first basket -> 0)."""
    days = np.asarray(days, dtype=float)
    bucket = np.searchsorted(np.asarray(GAP_EDGES, dtype=float), days, side="left") + 1
    return np.where(np.isnan(days), 0, bucket).astype(np.int64)


@dataclass
class Sequences:
    """customers: one id per sequence; items: [sequences, slots, max_items] product codes;
    gaps: [sequences, slots] gap buckets (0 in empty slots)."""

    customers: np.ndarray
    items: np.ndarray
    gaps: np.ndarray

    @property
    def basket_count(self) -> np.ndarray:
        """Non-empty slots per sequence."""
        return (self.items[:, :, 0] > 0).sum(axis=1)

    def subset(self, rows: np.ndarray) -> Sequences:
        return Sequences(self.customers[rows], self.items[rows], self.gaps[rows])


SECONDS_PER_CUSTOMER = 10**10  # more seconds than 1970 to 2286: (customer, time) as one sortable int64


class BasketHistory:
    """Every customer's baskets in time order as product codes, from which the sequence of any
    customer as of any date is sliced without rereading the lines.

    From order lines (customer_id, basket_id, basket_time, product_id): products outside the
    sorted catalogue ``products`` are left out (a basket left empty by that is dropped); a
    basket's codes are its distinct products in product-id order, cut at ``max_items``; its
    gap is the days since the customer's previous (kept) basket."""

    def __init__(self, lines: pd.DataFrame, products: np.ndarray, max_items: int) -> None:
        known = lines[np.isin(lines.product_id.to_numpy(), products)]
        items = known[["customer_id", "basket_id", "basket_time", "product_id"]].drop_duplicates(
            ["customer_id", "basket_id", "product_id"]
        )
        baskets = items.drop_duplicates("basket_id")[["customer_id", "basket_id", "basket_time"]]
        baskets = baskets.sort_values(["customer_id", "basket_time", "basket_id"], kind="stable").reset_index(drop=True)
        previous = baskets.groupby("customer_id").basket_time.shift()
        gap_days = (baskets.basket_time - previous).dt.total_seconds().to_numpy() / 86_400.0
        self.customers, self.first = np.unique(baskets.customer_id.to_numpy(), return_index=True)
        self.count = np.diff(np.append(self.first, len(baskets)))
        self.gaps = gap_bucket(gap_days)
        seconds = baskets.basket_time.to_numpy(dtype="datetime64[s]").astype(np.int64)
        customer_index = np.repeat(np.arange(len(self.customers), dtype=np.int64), self.count)
        self._keys = customer_index * SECONDS_PER_CUSTOMER + seconds

        items = items.merge(baskets[["basket_id"]].assign(row=np.arange(len(baskets))), on="basket_id")
        items = items.sort_values(["row", "product_id"], kind="stable")
        position = items.groupby("row").cumcount().to_numpy()
        keep = position < max_items
        self.codes = np.zeros((len(baskets), max_items), dtype=np.int32)
        codes = np.searchsorted(products, items.product_id.to_numpy()[keep]) + 1
        self.codes[items.row.to_numpy()[keep], position[keep]] = codes

    def sequences(self, customers: np.ndarray, before: np.ndarray | None, slots: int) -> Sequences:
        """The latest ``slots`` baskets of each customer strictly before its date in ``before``
        (datetime64 values, one per customer; None = all its baskets), right-aligned. A
        customer without such a basket gets an empty sequence."""
        customers = np.asarray(customers)
        items = np.zeros((len(customers), slots, self.codes.shape[1]), dtype=np.int32)
        gaps = np.zeros((len(customers), slots), dtype=np.int64)
        if not len(self.customers):
            return Sequences(customers, items, gaps)
        at = np.minimum(np.searchsorted(self.customers, customers), len(self.customers) - 1)
        known = self.customers[at] == customers
        first = self.first[at]
        if before is None:
            end = first + self.count[at]
        else:
            seconds = np.asarray(before, dtype="datetime64[s]").astype(np.int64)
            end = np.searchsorted(self._keys, at.astype(np.int64) * SECONDS_PER_CUSTOMER + seconds, side="left")
        end = np.where(known, end, first)
        rows = end[:, None] - slots + np.arange(slots)[None, :]
        filled = rows >= first[:, None]
        items[filled] = self.codes[rows[filled]]
        gaps[filled] = self.gaps[rows[filled]]
        return Sequences(customers, items, gaps)


def build_sequences(lines: pd.DataFrame, products: np.ndarray, slots: int, max_items: int) -> Sequences:
    """The latest ``slots`` baskets of every customer in ``lines`` (customer_id, basket_id,
    basket_time, product_id) with a basket of known products, customers sorted (see
    BasketHistory for what a basket holds)."""
    history = BasketHistory(lines, products, max_items)
    return history.sequences(history.customers, None, slots)
