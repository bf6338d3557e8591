"""Steps 6-7 of the data-generating process: the true probabilities of each (customer,
offer) pair (buying anyway p0, redeeming if shown p1 = p0 + (1 - p0) q), calibrated to the
conversion parameter; the realised outcomes of the logged impressions; the hidden truth."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metro_offers.generator.config import TRUTH_WINDOW_DAYS, GeneratorConfig
from metro_offers.generator.exposure import Impressions
from metro_offers.generator.population import Population
from metro_offers.generator.sampling import PairHistory, calibrate_intercept, pair_noise, sigmoid
from metro_offers.reference import Reference


@dataclass(frozen=True)
class TrueResponse:
    """The hidden model of a (customer, offer) pair, from the customer's traits, the offer and
    the purchase history before the offer starts."""

    population: Population
    history: PairHistory
    seed: int

    def logits(self, cust: np.ndarray, offer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Logits of P(buy anyway) and of the incremental response q, before intercepts."""
        customers, offers = self.population.customers, self.population.offers
        asof = np.maximum(offers.start[offer], 0)
        history = self.history.lookup(cust, offers.product_idx[offer], offers.category_idx[offer], asof)
        n_cat = customers.category_pref.shape[1]
        affinity = np.log(customers.category_pref[cust, offers.category_idx[offer]] * n_cat + 1e-3)
        bought = history.bought_before.to_numpy().astype(float)
        days_since = history.days_since_category.to_numpy(dtype=float, na_value=np.nan)
        recent = np.where(np.isnan(days_since), 0.0, np.exp(-np.nan_to_num(days_since) / 30.0))
        cid, oid = cust + 1, offer + 1
        organic = 1.0 * affinity + 1.4 * bought + 0.8 * recent + 0.5 * pair_noise(cid, oid, self.seed, 1)
        response = (
            1.0 * affinity
            + 6.0 * customers.price_sensitivity[cust] * offers.discount[offer]
            + 0.9 * bought
            + 0.6 * recent
            + 1.2 * np.log(customers.promo_responsiveness[cust])
            + 0.5 * pair_noise(cid, oid, self.seed, 2)
        )
        return organic, response


@dataclass(frozen=True)
class Outcomes:
    calibration: dict  # organic_intercept, response_intercept
    events: dict  # redemptions and control-group purchases on or before the horizon
    pending: dict  # those decided for later days: they land when their day is appended


def draw_outcomes(
    cfg: GeneratorConfig,
    ref: Reference,
    truth: TrueResponse,
    impressions: Impressions,
    rng: np.random.Generator,
    horizon: int,
    first_impression_id: int,
    calibration: dict | None = None,
) -> Outcomes:
    """True probabilities, then redemptions and control-group organic purchases. Intercepts
    are calibrated on the history's impressions (or passed in when a day is appended)."""
    population = truth.population
    n_imp = len(impressions.customer_idx)
    organic, response = truth.logits(impressions.customer_idx, impressions.offer_idx)
    shown = ~impressions.is_control
    if calibration is not None:
        c0, b0 = calibration["organic_intercept"], calibration["response_intercept"]
        p0 = sigmoid(organic + c0)
    elif n_imp and shown.any():
        c0 = calibrate_intercept(organic[shown], cfg.conversion_rate * cfg.organic_share)
        p0 = sigmoid(organic + c0)
        b0 = calibrate_intercept(
            response[shown], cfg.conversion_rate, transform=lambda q: p0[shown] + (1 - p0[shown]) * q
        )
    else:  # nothing shown inside the history: no data to calibrate on
        c0 = b0 = -5.0
        p0 = sigmoid(organic + c0)
    p1 = p0 + (1 - p0) * sigmoid(response + b0)

    # realised outcomes of logged impressions
    u = rng.random(n_imp)
    event = np.where(shown, u < p1, u < p0)
    offers, cdf_all = population.offers, population.catalogue.cdf_all
    available = np.maximum(offers.end[impressions.offer_idx] - impressions.day, 0)
    delay = rng.geometric(0.3, n_imp) - 1
    delay = np.where(delay <= available, delay, rng.integers(0, available + 1))
    ev = np.flatnonzero(event)
    ev_offer = impressions.offer_idx[ev]
    product = offers.product_idx[ev_offer]
    cat_level = product < 0
    if cat_level.any():
        product[cat_level] = np.searchsorted(
            cdf_all, offers.category_idx[ev_offer[cat_level]] + rng.random(cat_level.sum()), side="right"
        )
    product = np.minimum(product, len(cdf_all) - 1)
    quantity_mean = ref.segments.quantity_mean.to_numpy()[
        population.customers.segment_idx[impressions.customer_idx[ev]]
    ]
    events = {
        "impression_id": first_impression_id + ev,
        "customer_idx": impressions.customer_idx[ev],
        "offer_idx": ev_offer,
        "day": impressions.day[ev] + delay[ev],
        "product_idx": product,
        "redeemed": shown[ev],
        "quantity": (1 + rng.poisson(np.maximum(quantity_mean - 1, 0))).astype(np.int32),
    }
    due = events["day"] <= horizon
    return Outcomes(
        calibration={"organic_intercept": c0, "response_intercept": b0},
        events={k: v[due] for k, v in events.items()},
        pending={k: v[~due] for k, v in events.items()},
    )


def truth_chunks(
    cfg: GeneratorConfig, truth: TrueResponse, calibration: dict, max_pairs: int = 4_000_000
) -> Iterator[pd.DataFrame]:
    """The truth table in chunks of whole offers: every customer x every offer valid in the
    last 8 weeks of history, with the calibrated true probabilities. Chunked so that 10,000
    offers stay within memory."""
    offers = truth.population.offers
    window_start = cfg.days - TRUTH_WINDOW_DAYS
    in_window = np.flatnonzero((offers.end >= window_start) & (offers.start <= cfg.days - 1))
    per_chunk = max(1, max_pairs // cfg.customers)
    for first in range(0, len(in_window), per_chunk):
        chunk = in_window[first : first + per_chunk]
        cust = np.tile(np.arange(cfg.customers), len(chunk))
        offer = np.repeat(chunk, cfg.customers)
        organic, response = truth.logits(cust, offer)
        p0 = sigmoid(organic + calibration["organic_intercept"])
        p1 = p0 + (1 - p0) * sigmoid(response + calibration["response_intercept"])
        yield pd.DataFrame(
            {
                "customer_id": (cust + 1).astype(np.int64),
                "offer_id": (offer + 1).astype(np.int64),
                "p_redeem_if_shown": p1,
                "p_buy_if_not_shown": p0,
                "true_uplift": p1 - p0,
            }
        )
