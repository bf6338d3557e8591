"""The raw fact tables of the generated days (orders, order items, impressions,
redemptions), with the ids of ids.py."""

from __future__ import annotations

import numpy as np
import pandas as pd

from metro_offers.generator.exposure import Impressions
from metro_offers.generator.ids import impression_ids, order_ids
from metro_offers.generator.population import Population
from metro_offers.generator.visits import Lines, Orders


def fact_tables(
    population: Population,
    orders: Orders,
    lines: Lines,
    impressions: Impressions,
    events: dict,
    day0,
) -> dict[str, pd.DataFrame]:
    price = population.catalogue.price
    ev_price = price[events["product_idx"]]
    ev_discount = np.where(
        events["redeemed"], np.round(ev_price * population.offers.discount[events["offer_idx"]], 2), 0.0
    )
    new_id = order_ids(day0, orders.day, orders.customer_idx)
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
            "impression_id": impression_ids(impressions.offer_idx, impressions.customer_idx),
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
            "redemption_id": events["impression_id"][red].astype(np.int64),  # one redemption per impression
            "impression_id": events["impression_id"][red].astype(np.int64),
            "customer_id": events["customer_idx"][red].astype(np.int64) + 1,
            "offer_id": events["offer_idx"][red].astype(np.int64) + 1,
            "order_id": new_id[events["order_idx"][red]],
            "product_id": events["product_idx"][red].astype(np.int64) + 1,
            "redemption_date": day0 + events["day"][red].astype("timedelta64[D]"),
            "discount_amount": np.round(ev_discount[red] * events["quantity"][red], 2),
        }
    ).sort_values(["redemption_date", "impression_id"], ignore_index=True)
    return {
        "orders": order_table,
        "order_items": order_items,
        "impressions": impression_table,
        "redemptions": redemptions,
    }
