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
    """customers: ids (sorted); items: [customers, slots, max_items] product codes; gaps:
    [customers, slots] gap buckets (0 in empty slots)."""

    customers: np.ndarray
    items: np.ndarray
    gaps: np.ndarray

    @property
    def basket_count(self) -> np.ndarray:
        """Non-empty slots per customer."""
        return (self.items[:, :, 0] > 0).sum(axis=1)

    def subset(self, rows: np.ndarray) -> Sequences:
        return Sequences(self.customers[rows], self.items[rows], self.gaps[rows])


def build_sequences(lines: pd.DataFrame, products: np.ndarray, slots: int, max_items: int) -> Sequences:
    """The latest ``slots`` baskets of every customer in ``lines`` (customer_id, basket_id,
    basket_time, product_id), products outside the sorted catalogue ``products`` left out
    (a basket left empty by that is dropped)."""
    known = lines[np.isin(lines.product_id.to_numpy(), products)]
    items = known[["customer_id", "basket_id", "basket_time", "product_id"]].drop_duplicates(
        ["customer_id", "basket_id", "product_id"]
    )
    baskets = items.drop_duplicates("basket_id")[["customer_id", "basket_id", "basket_time"]]
    baskets = baskets.sort_values(["customer_id", "basket_time", "basket_id"], kind="stable").reset_index(drop=True)
    previous = baskets.groupby("customer_id").basket_time.shift()
    gap_days = (baskets.basket_time - previous).dt.total_seconds().to_numpy() / 86_400.0
    from_end = baskets.groupby("customer_id").cumcount(ascending=False).to_numpy()
    keep = from_end < slots
    baskets = baskets.assign(slot=slots - 1 - from_end, gap=gap_bucket(gap_days))[keep]
    customers = np.sort(baskets.customer_id.unique())
    baskets = baskets.assign(row=np.searchsorted(customers, baskets.customer_id.to_numpy()))

    items = items.merge(baskets[["basket_id", "row", "slot"]], on="basket_id")
    items = items.sort_values(["basket_id", "product_id"], kind="stable")
    items = items.assign(position=items.groupby("basket_id").cumcount().to_numpy())
    items = items[items.position < max_items]
    codes = np.zeros((len(customers), slots, max_items), dtype=np.int32)
    codes[items.row.to_numpy(), items.slot.to_numpy(), items.position.to_numpy()] = (
        np.searchsorted(products, items.product_id.to_numpy()) + 1
    )
    gaps = np.zeros((len(customers), slots), dtype=np.int64)
    gaps[baskets.row.to_numpy(), baskets.slot.to_numpy()] = baskets.gap.to_numpy()
    return Sequences(customers, codes, gaps)
