"""The next-basket task: for each customer with history before a global cutoff and a basket
on or after it, predict the products of that first basket from the history alone. Every
method ranks the whole catalogue (no sampled negatives); a target product is a *repeat*
item when the customer bought it before the cutoff, an *explore* item otherwise."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LINE_COLUMNS = ("customer_id", "basket_id", "basket_time", "product_id")


# a customer's place in the next-basket sample: Knuth's multiplicative hash of its id (plain
# arithmetic, so the same customers are drawn whatever the DuckDB version)
SAMPLE_ORDER = "(customer_id * 2654435761) % 4294967296, customer_id"


def warehouse_lines(order_lines, before, cutoff=None, customers: int | None = None) -> pd.DataFrame:
    """LINE_COLUMNS of a dbt relation of int_order_lines_enriched (an order is a basket), for
    the orders before the date ``before``. With ``customers``: only the lines of a fixed sample
    of at most that many of the customers who ordered before ``cutoff``, so that the task's
    cost stops growing with the customer base and every build at a cutoff draws the same
    customers."""
    lines = order_lines.filter(f"order_date < date '{before}'")
    if customers is not None:
        sample = (
            order_lines.filter(f"order_date < date '{cutoff}'")
            .project("customer_id")
            .distinct()
            .order(SAMPLE_ORDER)
            .limit(int(customers))
            .set_alias("sample")
        )
        lines = lines.join(sample, "customer_id", how="semi")
    return lines.project(
        "customer_id, order_id as basket_id, cast(order_date as timestamp) as basket_time, product_id"
    ).df()


class NoTask(ValueError):
    """The lines hold no basket before the cutoff or none on or after it."""


@dataclass
class NextBasketTask:
    """history: the lines before the cutoff of the customers judged (LINE_COLUMNS);
    targets: customer_id, product_id (each once) of their first basket on or after it, with
    ``repeat``; popularity_lines: every customer's lines before the cutoff (what popularity
    counts)."""

    cutoff: pd.Timestamp
    history: pd.DataFrame
    targets: pd.DataFrame
    popularity_lines: pd.DataFrame

    @classmethod
    def from_lines(cls, lines: pd.DataFrame, cutoff) -> NextBasketTask:
        missing = [c for c in LINE_COLUMNS if c not in lines.columns]
        if missing:
            raise KeyError(f"order lines lack {missing}; expected {list(LINE_COLUMNS)}")
        cutoff = pd.Timestamp(cutoff)
        lines = lines[list(LINE_COLUMNS)]
        before = lines[lines.basket_time < cutoff]
        after = lines[lines.basket_time >= cutoff]
        if before.empty or after.empty:
            raise NoTask(f"no baskets before {cutoff.date()} or none on or after it")
        first = after.sort_values(["basket_time", "basket_id"]).groupby("customer_id").basket_id.first()
        targets = after[after.basket_id.isin(first)][["customer_id", "product_id"]].drop_duplicates()
        targets = targets[targets.customer_id.isin(before.customer_id.unique())]
        history = before[before.customer_id.isin(targets.customer_id.unique())]
        bought = history[["customer_id", "product_id"]].drop_duplicates().assign(repeat=True)
        targets = targets.merge(bought, on=["customer_id", "product_id"], how="left")
        targets["repeat"] = targets["repeat"].astype("boolean").fillna(False).astype(bool)
        targets = targets.sort_values(["customer_id", "product_id"]).reset_index(drop=True)
        return cls(cutoff, history.reset_index(drop=True), targets, before)

    @property
    def customers(self) -> np.ndarray:
        return np.sort(self.targets.customer_id.unique())
