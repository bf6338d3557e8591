"""The raw fact tables of the generated days (orders, order items, impressions,
redemptions), with ids continuing from the given ones."""

from __future__ import annotations

import numpy as np
import pandas as pd

from metro_offers.generator.exposure import Impressions
from metro_offers.generator.population import Population
from metro_offers.generator.visits import Lines, Orders


def fact_tables(
    population: Population,
    orders: Orders,
    lines: Lines,
    impressions: Impressions,
    events: dict,
    day0,
    first_order_id: int,
    first_impression_id: int,
    first_redemption_id: int,
) -> dict[str, pd.DataFrame]:
    price = population.catalogue.price
    ev_price = price[events["product_idx"]]
    ev_discount = np.where(
        events["redeemed"], np.round(ev_price * population.offers.discount[events["offer_idx"]], 2), 0.0
    )
    # orders are numbered by (date, customer) so ids grow with time
    order_rank = np.lexsort((orders.customer_idx, orders.day))
    new_id = np.empty(len(order_rank), dtype=np.int64)
    new_id[order_rank] = np.arange(first_order_id, first_order_id + len(order_rank))
    n_basket = len(lines.order_idx)
    order_items = pd.DataFrame(
        {
            "order_id": new_id[np.concatenate([lines.order_idx, events["order_idx"]]).astype(np.int64)],
            "line_number": np.concatenate([lines.line_number, events["line_number"]]),
            "product_id": np.concatenate([lines.product_idx, events["product_idx"]]) + 1,
            "quantity": np.concatenate([lines.quantity, events["quantity"]]),
            "unit_price": np.concatenate([price[lines.product_idx], np.round(ev_price - ev_discount, 2)]),
            "discount_amount": np.concatenate([np.zeros(n_basket), np.round(ev_discount * events["quantity"], 2)]),
            # only redemption lines carry an offer; organic purchases of control customers do not
            "offer_id": pd.arrays.IntegerArray(
                np.concatenate([np.zeros(n_basket, np.int64), events["offer_idx"] + 1]).astype(np.int64),
                np.concatenate([np.ones(n_basket, bool), ~events["redeemed"]]),
            ),
        }
    ).sort_values(["order_id", "line_number"], ignore_index=True)
    order_table = pd.DataFrame(
        {
            "order_id": new_id,
            "customer_id": orders.customer_idx.astype(np.int64) + 1,
            "order_date": day0 + orders.day.astype("timedelta64[D]"),
            "store_id": orders.store.astype(np.int32),
        }
    ).sort_values("order_id", ignore_index=True)
    impression_table = pd.DataFrame(
        {
            "impression_id": np.arange(first_impression_id, first_impression_id + len(impressions.day), dtype=np.int64),
            "customer_id": impressions.customer_idx.astype(np.int64) + 1,
            "offer_id": impressions.offer_idx.astype(np.int64) + 1,
            "impression_date": day0 + impressions.day.astype("timedelta64[D]"),
            "policy": np.where(impressions.is_control, "control", impressions.policy),
            "selection_propensity": impressions.propensity,
            "is_control": impressions.is_control,
        }
    )
    red = events["redeemed"]
    redemptions = pd.DataFrame(
        {
            "impression_id": events["impression_id"][red].astype(np.int64),
            "customer_id": events["customer_idx"][red].astype(np.int64) + 1,
            "offer_id": events["offer_idx"][red].astype(np.int64) + 1,
            "order_id": new_id[events["order_idx"][red]],
            "product_id": events["product_idx"][red].astype(np.int64) + 1,
            "redemption_date": day0 + events["day"][red].astype("timedelta64[D]"),
            "discount_amount": np.round(ev_discount[red] * events["quantity"][red], 2),
        }
    ).sort_values(["redemption_date", "impression_id"], ignore_index=True)
    redemptions.insert(
        0, "redemption_id", np.arange(first_redemption_id, first_redemption_id + len(redemptions), dtype=np.int64)
    )
    return {
        "orders": order_table,
        "order_items": order_items,
        "impressions": impression_table,
        "redemptions": redemptions,
    }
