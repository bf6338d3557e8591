"""Step 5 of the data-generating process: the logged policy's impressions. Each offer's
audience is drawn on its launch day: targeted by category share of wallet x promo
responsiveness, plus a uniform exploration slice, with the selection propensity logged and
a randomised control group held out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metro_offers.generator.config import GeneratorConfig
from metro_offers.generator.population import Population


@dataclass(frozen=True)
class Impressions:
    """Impressions sorted by (day, offer, customer)."""

    customer_idx: np.ndarray
    offer_idx: np.ndarray
    day: np.ndarray
    propensity: np.ndarray
    policy: np.ndarray  # "targeted" or "explore"
    is_control: np.ndarray


@dataclass(frozen=True)
class Campaigns:
    """The offers launching on the generated days (an offer launches on its start day, or on
    the history's first day if it started before), with what their audience draws need from
    the whole customer base: the eligible count and the targeting weights' total."""

    offer_idx: np.ndarray
    launch_day: np.ndarray
    n_eligible: np.ndarray
    weight_total: np.ndarray


def targeting_weight(population: Population, offer: int, customers: slice) -> np.ndarray:
    """The legacy targeting policy's weight: share of wallet in the category x promo responsiveness."""
    traits = population.customers
    share = traits.category_pref[customers, population.offers.category_idx[offer]]
    return share**2 * traits.promo_responsiveness[customers]


def plan_campaigns(population: Population, launch_days: range) -> Campaigns:
    offers, signup_day = population.offers, population.customers.signup_day
    everyone = slice(None)
    launching, day, n_eligible, total = [], [], [], []
    for o in range(len(offers.start)):
        campaign_day = max(int(offers.start[o]), 0)
        if campaign_day not in launch_days or offers.end[o] < campaign_day:
            continue
        eligible = signup_day <= campaign_day
        if not eligible.any():
            continue
        launching.append(o)
        day.append(campaign_day)
        n_eligible.append(int(eligible.sum()))
        total.append(float((targeting_weight(population, o, everyone) * eligible).sum()))
    return Campaigns(
        np.array(launching, dtype=np.int64), np.array(day, dtype=np.int64), np.array(n_eligible), np.array(total)
    )


def draw_impressions(
    cfg: GeneratorConfig,
    population: Population,
    campaigns: Campaigns,
    last_generated_day: int,
    rng: np.random.Generator,
    customers: range,
) -> Impressions:
    """The given customers' (a range of indices) share of the campaigns' audiences."""
    block = slice(customers.start, customers.stop)
    signup_day, offers = population.customers.signup_day[block], population.offers
    n_cust = len(customers)
    cust_all, offer_all, day_all, prop_all, policy_all, ctrl_all = [], [], [], [], [], []
    for o, campaign_day, n_eligible, weight_total in zip(
        campaigns.offer_idx, campaigns.launch_day, campaigns.n_eligible, campaigns.weight_total, strict=True
    ):  # one vectorised audience draw per offer
        eligible = signup_day <= campaign_day
        audience = cfg.audience_share * n_eligible
        w = targeting_weight(population, o, block) * eligible
        p_target = np.minimum(0.9, audience * (1 - cfg.explore_share) * w / weight_total)
        p_explore = np.where(eligible, audience * cfg.explore_share / n_eligible, 0.0)
        targeted = rng.random(n_cust) < p_target
        explored = rng.random(n_cust) < p_explore
        selected = np.flatnonzero(targeted | explored)
        last_day = min(int(offers.end[o]), last_generated_day)
        days = np.minimum(campaign_day + rng.integers(0, 7, len(selected)), last_day)
        cust_all.append(customers.start + selected)
        offer_all.append(np.full(len(selected), o))
        day_all.append(days)
        prop_all.append(1 - (1 - p_target[selected]) * (1 - p_explore[selected]))
        policy_all.append(np.where(targeted[selected], "targeted", "explore"))
        ctrl_all.append(rng.random(len(selected)) < cfg.control_share)
    drawn = {
        "customer_idx": np.concatenate(cust_all) if cust_all else np.zeros(0, int),
        "offer_idx": np.concatenate(offer_all) if offer_all else np.zeros(0, int),
        "day": np.concatenate(day_all) if day_all else np.zeros(0, int),
        "propensity": np.concatenate(prop_all) if prop_all else np.zeros(0),
        "policy": np.concatenate(policy_all) if policy_all else np.zeros(0, "<U8"),
        "is_control": np.concatenate(ctrl_all) if ctrl_all else np.zeros(0, bool),
    }
    order = np.lexsort((drawn["customer_idx"], drawn["offer_idx"], drawn["day"]))
    return Impressions(**{k: v[order] for k, v in drawn.items()})
