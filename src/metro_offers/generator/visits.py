"""Step 3 of the data-generating process: visits (orders) and their baskets, and putting the
outcome events (redemptions, control-group purchases) on the customer's order of their day."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from metro_offers.generator.config import DAYS_PER_MONTH, FAVOURITES_PER_CUSTOMER, N_STORES, GeneratorConfig
from metro_offers.generator.population import Population, draw_products
from metro_offers.reference import SEGMENTS, Reference


@dataclass(frozen=True)
class Orders:
    """Orders of the generated days, by position (the order index)."""

    customer_idx: np.ndarray
    day: np.ndarray
    store: np.ndarray


@dataclass(frozen=True)
class Lines:
    """Order lines: the order index, the line's number in its order, product index, quantity."""

    order_idx: np.ndarray
    line_number: np.ndarray
    product_idx: np.ndarray
    quantity: np.ndarray


def draw_orders(
    cfg: GeneratorConfig,
    ref: Reference,
    population: Population,
    days: np.ndarray,
    day0,
    rng: np.random.Generator,
    customers: range,
) -> Orders:
    """Visits of the given customers (a range of indices) on the given days (indices from
    the history's first day): a Bernoulli draw per customer and day at the segment's rate
    times the day's cycle and holiday multipliers. Sorted by (day, customer)."""
    traits = population.customers
    idx = np.arange(customers.start, customers.stop)
    cycle, holiday = ref.day_multipliers(pd.DatetimeIndex(day0 + days.astype("timedelta64[D]")))
    rate = (
        ref.segments.visits_per_month.to_numpy()[traits.segment_idx[idx]]
        * traits.rate_mult[idx]
        * cfg.visit_rate_scale
        / DAYS_PER_MONTH
    )
    in_shift_segment = _in_shift_segment(cfg, population)[idx]
    signup_day = traits.signup_day[idx]
    shift_days = cfg.shifted(days)
    order_day, order_cust = [], []
    for i, d in enumerate(days):  # one vectorised draw per day
        p = np.minimum(rate * cycle[i] * holiday[i], 1.0)
        if shift_days[i]:
            p = np.where(in_shift_segment, np.minimum(p * cfg.shift_visit_multiplier, 1.0), p)
        visit = (rng.random(len(idx)) < p) & (signup_day <= d)
        order_cust.append(idx[visit])
        order_day.append(np.full(int(visit.sum()), d, dtype=np.int32))
    order_cust = np.concatenate(order_cust)
    order_day = np.concatenate(order_day)
    n_orders = len(order_cust)
    store = np.where(rng.random(n_orders) < 0.9, traits.home_store[order_cust], rng.integers(1, N_STORES + 1, n_orders))
    return Orders(customer_idx=order_cust, day=order_day, store=store)


def draw_lines(
    cfg: GeneratorConfig, ref: Reference, population: Population, orders: Orders, rng: np.random.Generator
) -> Lines:
    """Baskets: the segment's number of lines, each a favourite (brand loyalty) or a draw
    from the customer's preferred categories; one line per product in an order."""
    customers, seg = population.customers, ref.segments
    lines_mean = seg.basket_lines_mean.to_numpy()[customers.segment_idx[orders.customer_idx]] * cfg.basket_size_scale
    lines_mean = np.where(
        _in_shift_segment(cfg, population)[orders.customer_idx] & cfg.shifted(orders.day),
        lines_mean * cfg.shift_basket_multiplier,
        lines_mean,
    )
    n_lines = 1 + rng.poisson(np.maximum(lines_mean - 1, 0))
    line_order = np.repeat(np.arange(len(orders.customer_idx)), n_lines)
    line_cust = orders.customer_idx[line_order]
    favourite = rng.random(len(line_order)) < customers.loyalty[line_cust]
    fav_rank_w = 1.0 / np.arange(1, FAVOURITES_PER_CUSTOMER + 1)
    fav_cdf = np.cumsum(fav_rank_w) / fav_rank_w.sum()
    fav_pick = np.minimum(np.searchsorted(fav_cdf, rng.random(len(line_order))), FAVOURITES_PER_CUSTOMER - 1)
    product = np.where(
        favourite,
        population.favourites[line_cust * FAVOURITES_PER_CUSTOMER + fav_pick],
        draw_products(customers, population.catalogue, line_cust, rng),
    )
    # one line per product in an order
    key = line_order.astype(np.int64) * (len(population.catalogue.cdf_all) + 1) + product
    _, first = np.unique(key, return_index=True)
    first.sort()
    line_order, line_cust, product = line_order[first], line_cust[first], product[first]
    qty_mean = seg.quantity_mean.to_numpy()[customers.segment_idx[line_cust]]
    quantity = 1 + rng.poisson(np.maximum(qty_mean - 1, 0))
    starts = np.r_[0, np.flatnonzero(np.diff(line_order)) + 1]
    counts = np.diff(np.r_[starts, len(line_order)])
    line_number = np.arange(len(line_order)) - np.repeat(starts, counts) + 1
    return Lines(
        order_idx=line_order,
        line_number=line_number.astype(np.int32),
        product_idx=product,
        quantity=quantity.astype(np.int32),
    )


def _in_shift_segment(cfg: GeneratorConfig, population: Population) -> np.ndarray:
    shifted = SEGMENTS.index(cfg.shift_segment) if cfg.shift_segment else -1
    return population.customers.segment_idx == shifted


def place_events(orders: Orders, lines: Lines, events: dict, home_store: np.ndarray) -> tuple[Orders, dict]:
    """Each event (redemption / organic purchase) on the customer's order of its day, a new
    order where the customer had none; returns the orders with the new ones and the events
    with their order index and line number (after the order's basket lines)."""
    n_orders = len(orders.customer_idx)
    order_key = pd.Series(np.arange(n_orders), index=orders.customer_idx.astype(np.int64) * 100_000 + orders.day)
    order_key = order_key[~order_key.index.duplicated()]
    ev_key = events["customer_idx"].astype(np.int64) * 100_000 + events["day"]
    matched = order_key.reindex(ev_key).to_numpy()
    missing = np.isnan(matched)
    new_keys, new_pos = np.unique(ev_key[missing], return_inverse=True)
    new_order_idx = n_orders + np.arange(len(new_keys))
    order_idx = matched.copy()
    order_idx[missing] = new_order_idx[new_pos]
    order_idx = order_idx.astype(np.int64)
    new_cust = (new_keys // 100_000).astype(orders.customer_idx.dtype)
    new_day = (new_keys % 100_000).astype(np.int32)
    orders = replace(
        orders,
        customer_idx=np.concatenate([orders.customer_idx, new_cust]),
        day=np.concatenate([orders.day, new_day]),
        store=np.concatenate([orders.store, home_store[new_cust]]),
    )

    # line numbers continue after the order's existing lines
    existing_lines = np.bincount(lines.order_idx, minlength=len(orders.customer_idx))
    sort = np.lexsort((np.arange(len(order_idx)), order_idx))
    rank = np.empty(len(order_idx), dtype=np.int64)
    sorted_orders = order_idx[sort]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_orders)) + 1]
    rank[sort] = np.arange(len(sorted_orders)) - np.repeat(starts, np.diff(np.r_[starts, len(sorted_orders)]))
    placed = {**events, "order_idx": order_idx, "line_number": (existing_lines[order_idx] + rank + 1).astype(np.int32)}
    return orders, placed
