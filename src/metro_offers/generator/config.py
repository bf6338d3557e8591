"""The generator's settings (GeneratorConfig, one field per `metro-offers generate` option),
its fixed constants and its progress lines."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import numpy as np

from metro_offers.reference import SEGMENTS

DAYS_PER_MONTH = 365.25 / 12
FAVOURITES_PER_CUSTOMER = 30
DISCOUNT_LEVELS = np.array([0.05, 0.10, 0.15, 0.20, 0.25, 0.30])
DISCOUNT_WEIGHTS = np.array([0.10, 0.25, 0.25, 0.20, 0.12, 0.08])
TRUTH_WINDOW_DAYS = 56  # the last 8 weeks of history: the evaluation window downstream
N_STORES = 25
# Independent random streams (with the seed). The history's draws per customer come from
# streams of their block of BLOCK_CUSTOMERS customers, so a history generated in chunks of any
# whole number of blocks is the same data.
VISIT_STREAM, AUDIENCE_STREAM, OUTCOME_STREAM, DAY_STREAM, OFFER_STREAM = 1, 2, 3, 4, 5
BLOCK_CUSTOMERS = 4_096
MAX_CUSTOMERS = 10**8 - 1  # ids embed the customer id in 8 digits (tables.py)


@dataclass(frozen=True)
class GeneratorConfig:
    customers: int = 50_000
    products: int = 10_000
    offers: int = 200
    days: int = 365
    end_date: dt.date = dt.date(2026, 10, 31)
    seed: int = 42
    visit_rate_scale: float = 1.0  # multiplies every segment's visits per month
    basket_size_scale: float = 1.0  # multiplies every segment's lines per basket
    audience_share: float = 0.10  # expected share of eligible customers selected per offer
    explore_share: float = 0.10  # share of each audience drawn uniformly at random
    control_share: float = 0.10  # share of selected customers held out (randomised control)
    conversion_rate: float = 0.04  # target mean P(redeem | shown) over shown impressions
    organic_share: float = 0.25  # mean P(buy anyway) as a share of the conversion rate
    product_offer_share: float = 0.70  # the rest are category-level offers
    # A behaviour shift, for drift monitoring: from shift_from on, customers of shift_segment
    # visit shift_visit_multiplier times as often, with shift_basket_multiplier times the lines.
    shift_segment: str | None = None
    shift_from: dt.date | None = None
    shift_visit_multiplier: float = 1.0
    shift_basket_multiplier: float = 1.0

    @property
    def start_date(self) -> dt.date:
        return self.end_date - dt.timedelta(days=self.days - 1)

    def validate(self) -> None:
        for name in ("customers", "products", "offers", "days"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name} must be at least 1, got {getattr(self, name)}")
        if self.customers > MAX_CUSTOMERS:
            raise ValueError(f"--customers must be at most {MAX_CUSTOMERS:,}, got {self.customers:,}")
        for name in ("audience_share", "explore_share", "control_share", "conversion_rate", "organic_share"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        if self.visit_rate_scale <= 0 or self.basket_size_scale <= 0:
            raise ValueError("visit_rate_scale and basket_size_scale must be positive")
        if (self.shift_segment is None) != (self.shift_from is None):
            raise ValueError("a shift needs both a segment and a start date")
        if self.shift_segment is not None and self.shift_segment not in SEGMENTS:
            raise ValueError(f"unknown shift segment {self.shift_segment!r}; segments: {', '.join(SEGMENTS)}")
        if self.shift_visit_multiplier <= 0 or self.shift_basket_multiplier <= 0:
            raise ValueError("shift multipliers must be positive")

    def shifted(self, day_index: np.ndarray) -> np.ndarray:
        """True on days (indices from the first day of history) inside the shift."""
        if self.shift_from is None:
            return np.zeros(len(day_index), dtype=bool)
        return day_index >= (self.shift_from - self.start_date).days


class Progress:
    """One line per finished step, with its row count and seconds."""

    def __init__(self, echo) -> None:
        self.echo = echo
        self.started = time.perf_counter()
        self.step_started = self.started

    def done(self, what: str, rows: int | None = None) -> None:
        now = time.perf_counter()
        count = f"{rows:>12,} rows " if rows is not None else " " * 18
        self.echo(f"[generate] {what:<28}{count}{now - self.step_started:6.1f} s")
        self.step_started = now
