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


def draw_impressions(
    cfg: GeneratorConfig, population: Population, launch_days: range, last_generated_day: int, rng: np.random.Generator
) -> Impressions:
    """Audiences of the offers launched on launch_days (an offer launches on its start day,
    or on the history's first day if it started before)."""
    customers, offers = population.customers, population.offers
    n_cust = cfg.customers
    cust_all, offer_all, day_all, prop_all, policy_all, ctrl_all = [], [], [], [], [], []
    for o in range(cfg.offers):  # one vectorised audience draw per offer
        campaign_day = max(int(offers.start[o]), 0)
        if campaign_day not in launch_days or offers.end[o] < campaign_day:
            continue
        eligible = customers.signup_day <= campaign_day
        n_eligible = int(eligible.sum())
        if n_eligible == 0:
            continue
        audience = cfg.audience_share * n_eligible
        # the legacy targeting policy: share of wallet in the category x promo responsiveness
        w = customers.category_pref[:, offers.category_idx[o]] ** 2 * customers.promo_responsiveness * eligible
        p_target = np.minimum(0.9, audience * (1 - cfg.explore_share) * w / w.sum())
        p_explore = np.where(eligible, audience * cfg.explore_share / n_eligible, 0.0)
        targeted = rng.random(n_cust) < p_target
        explored = rng.random(n_cust) < p_explore
        selected = np.flatnonzero(targeted | explored)
        last_day = min(int(offers.end[o]), last_generated_day)
        days = np.minimum(campaign_day + rng.integers(0, 7, len(selected)), last_day)
        cust_all.append(selected)
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
        "policy": np.concatenate(policy_all) if policy_all else np.zeros(0, str),
        "is_control": np.concatenate(ctrl_all) if ctrl_all else np.zeros(0, bool),
    }
    order = np.lexsort((drawn["customer_idx"], drawn["offer_idx"], drawn["day"]))
    return Impressions(**{k: v[order] for k, v in drawn.items()})
