"""Steps 6-7 of the data-generating process: the true probabilities of each (customer,
offer) pair (buying anyway p0, redeeming if shown p1 = p0 + (1 - p0) q), calibrated to the
conversion parameter; the realised outcomes of the logged impressions; the hidden truth."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from metro_offers.generator.config import TRUTH_WINDOW_DAYS, GeneratorConfig
from metro_offers.generator.exposure import Impressions
from metro_offers.generator.ids import impression_ids
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


def calibrate(cfg: GeneratorConfig, organic: np.ndarray, response: np.ndarray) -> dict:
    """Intercepts of the two logits (those of the shown impressions of the whole history) such
    that P(buy anyway) averages conversion_rate x organic_share and P(redeem if shown)
    conversion_rate."""
    if not len(organic):  # nothing shown inside the history: no data to calibrate on
        return {"organic_intercept": -5.0, "response_intercept": -5.0}
    c0 = calibrate_intercept(organic, cfg.conversion_rate * cfg.organic_share)
    p0 = sigmoid(organic + c0)
    b0 = calibrate_intercept(response, cfg.conversion_rate, transform=lambda q: p0 + (1 - p0) * q)
    return {"organic_intercept": c0, "response_intercept": b0}


def draw_outcomes(
    cfg: GeneratorConfig,
    ref: Reference,
    population: Population,
    impressions: Impressions,
    logits: tuple[np.ndarray, np.ndarray],
    calibration: dict,
    rng: np.random.Generator,
    horizon: int,
) -> Outcomes:
    """Redemptions of shown impressions and organic purchases of the control group, from the
    impressions' true logits (TrueResponse.logits) and the calibrated intercepts."""
    organic, response = logits
    n_imp = len(impressions.customer_idx)
    shown = ~impressions.is_control
    p0 = sigmoid(organic + calibration["organic_intercept"])
    p1 = p0 + (1 - p0) * sigmoid(response + calibration["response_intercept"])

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
        "impression_id": impression_ids(ev_offer, impressions.customer_idx[ev]),
        "customer_idx": impressions.customer_idx[ev],
        "offer_idx": ev_offer,
        "day": impressions.day[ev] + delay[ev],
        "product_idx": product,
        "redeemed": shown[ev],
        "quantity": (1 + rng.poisson(np.maximum(quantity_mean - 1, 0))).astype(np.int32),
    }
    due = events["day"] <= horizon
    return Outcomes(
        calibration=calibration,
        events={k: v[due] for k, v in events.items()},
        pending={k: v[~due] for k, v in events.items()},
    )


def truth_offers(cfg: GeneratorConfig, population: Population) -> np.ndarray:
    """The offers of the truth table: those valid in the last 8 weeks of history."""
    offers = population.offers
    window_start = cfg.days - TRUTH_WINDOW_DAYS
    return np.flatnonzero((offers.end >= window_start) & (offers.start <= cfg.days - 1))


def truth_pairs(offers: np.ndarray, customers: range) -> tuple[np.ndarray, np.ndarray]:
    """Every (customer, offer) pair of the truth table for these customers, offer-major."""
    cust = np.tile(np.arange(customers.start, customers.stop), len(offers))
    return cust, np.repeat(offers, len(customers))


def truth_table(cust: np.ndarray, offer: np.ndarray, logits: tuple[np.ndarray, np.ndarray], calibration: dict):
    """The hidden truth of (customer, offer) pairs: the calibrated true probabilities."""
    organic, response = logits
    p0 = sigmoid(organic + calibration["organic_intercept"])
    p1 = p0 + (1 - p0) * sigmoid(response + calibration["response_intercept"])
    return pd.DataFrame(
        {
            "customer_id": (cust + 1).astype(np.int64),
            "offer_id": (offer + 1).astype(np.int64),
            "p_redeem_if_shown": p1,
            "p_buy_if_not_shown": p0,
            "true_uplift": p1 - p0,
        }
    )
