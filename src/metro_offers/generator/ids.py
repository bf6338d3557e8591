"""The generated facts' ids, a function of what they identify rather than a running counter,
so a history generated in chunks (or a day appended later) numbers its rows the same way:

- an order is a customer's visit on a day (at most one per day): ``yyyymmdd`` then the
  customer id in 8 digits, so order ids grow with time (2026103100000042: customer 42's
  order of 31 October 2026);
- an impression is an offer shown to a customer (an offer's audience is drawn once): the
  offer id then the customer id in 8 digits;
- a redemption redeems one impression and takes its id."""

from __future__ import annotations

import numpy as np
import pandas as pd

from metro_offers.generator.config import MAX_CUSTOMERS

CUSTOMER_DIGITS = MAX_CUSTOMERS + 1


def order_ids(day0: np.datetime64, day: np.ndarray, customer_idx: np.ndarray) -> np.ndarray:
    dates = pd.DatetimeIndex(day0 + day.astype("timedelta64[D]"))
    yyyymmdd = dates.year.to_numpy(np.int64) * 10_000 + dates.month.to_numpy(np.int64) * 100 + dates.day.to_numpy()
    return yyyymmdd * CUSTOMER_DIGITS + customer_idx.astype(np.int64) + 1


def impression_ids(offer_idx: np.ndarray, customer_idx: np.ndarray) -> np.ndarray:
    return (offer_idx.astype(np.int64) + 1) * CUSTOMER_DIGITS + customer_idx.astype(np.int64) + 1
