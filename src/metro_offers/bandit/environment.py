"""The simulated world of the closed loop and of the off-policy study: every customer's live
serving candidates with the ranker's P(redeem) and the truth's probabilities, the arm of each
candidate, and how often each customer visits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metro_offers.bandit.choices import Choices

CANDIDATE_COLUMNS = (
    "customer_id",
    "offer_id",
    "segment",
    "score",
    "end_date",
    "p_redeem_if_shown",
    "p_buy_if_not_shown",
)


@dataclass(frozen=True, eq=False)
class Environment:
    customer_ids: np.ndarray  # customer index -> customer_id
    visit_rate: np.ndarray  # per customer index: P(visits on a given day)
    choices: Choices  # every candidate row, grouped by customer index
    offer_id: np.ndarray  # per row
    p_shown: np.ndarray  # per row: true P(redeem | shown)
    p_not_shown: np.ndarray  # per row: true P(buys the offer's products anyway)
    last_day: np.ndarray  # per row: the last simulated day (0 = start) its offer is live
    arms: pd.DataFrame  # arm index -> offer_id, segment

    @property
    def n_customers(self) -> int:
        return len(self.customer_ids)

    @property
    def n_arms(self) -> int:
        return len(self.arms)


def build_environment(candidates: pd.DataFrame, visits: pd.DataFrame, start: dt.date) -> Environment:
    """candidates: CANDIDATE_COLUMNS, one row per (customer, live offer); visits: customer_id,
    visit_rate (customers without one never visit)."""
    missing = set(CANDIDATE_COLUMNS) - set(candidates.columns)
    if missing:
        raise ValueError(f"candidates lack the columns {sorted(missing)}")
    if candidates.duplicated(["customer_id", "offer_id"]).any():
        raise ValueError("a (customer, offer) candidate appears twice")
    rows = candidates.sort_values(["customer_id", "offer_id"], ignore_index=True)
    customer_ids, customer_index = np.unique(rows.customer_id.to_numpy(), return_inverse=True)
    arm_index, arm_keys = pd.MultiIndex.from_frame(rows[["offer_id", "segment"]]).factorize()
    rate = visits.set_index("customer_id")["visit_rate"].reindex(customer_ids).fillna(0.0).to_numpy()
    last_day = (pd.to_datetime(rows.end_date) - pd.Timestamp(start)).dt.days.to_numpy()
    return Environment(
        customer_ids=customer_ids,
        visit_rate=np.clip(rate, 0.0, 1.0),
        choices=Choices(customer_index.astype(np.int64), arm_index.astype(np.int64), rows.score.to_numpy(float)),
        offer_id=rows.offer_id.to_numpy(),
        p_shown=rows.p_redeem_if_shown.to_numpy(float),
        p_not_shown=rows.p_buy_if_not_shown.to_numpy(float),
        last_day=last_day,
        arms=arm_keys.to_frame(index=False),
    )
