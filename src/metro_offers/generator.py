"""Vectorised synthetic Metro cash-and-carry data set.

Writes the raw contract (see ``raw_contract.py``) as Parquet under ``<out>/raw/<table>/`` and
the hidden truth under ``<out>/truth/``. Everything is drawn with numpy and joined with
DuckDB: there is no Python loop per row, only per day (visits) and per offer (audiences).

The data-generating process, in order:

1. customers with a segment (exact shares from ``seeds/segments.csv``), a signup date and
   latent traits: visit-rate multiplier, price sensitivity, promo responsiveness, brand
   loyalty and category preferences (Dirichlet around the segment's weights);
2. products per category with brands, private label, price, cost and a Zipf popularity;
3. visits: a Bernoulli draw per customer-day with the segment's monthly rate times the
   weekday, payday and holiday multipliers (``seeds/demand_cycles.csv``,
   ``seeds/holiday_calendar.csv``); baskets mix the customer's favourite products (brand
   loyalty, repeat purchases) with popularity draws from preferred categories, private
   label for price-sensitive customers;
4. offers spread over the whole history and past its end;
5. impressions from a logged stochastic policy (targeted by affinity, plus a uniform
   exploration slice) with the selection propensity, and a randomised control group;
6. true probabilities per (customer, offer): buying anyway ``p0`` and redeeming if shown
   ``p1 = p0 + (1 - p0) q``, from affinity, price sensitivity x discount, bought before,
   recency, promo responsiveness and pair noise, calibrated to the conversion parameter;
7. redemptions for shown customers (an order line of the offered product at the discounted
   price inside the validity window) and organic full-price purchases for the control group.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from metro_offers.raw_contract import arrow_schema
from metro_offers.reference import SEGMENTS, Reference, load_reference

DAYS_PER_MONTH = 365.25 / 12
FAVOURITES_PER_CUSTOMER = 30
DISCOUNT_LEVELS = np.array([0.05, 0.10, 0.15, 0.20, 0.25, 0.30])
DISCOUNT_WEIGHTS = np.array([0.10, 0.25, 0.25, 0.20, 0.12, 0.08])
TRUTH_WINDOW_DAYS = 56  # the last 8 weeks of history: the evaluation window downstream
N_STORES = 25
OFFER_STREAM, DAY_STREAM = 5, 4  # independent random streams (with the seed)


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


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _pair_noise(customer_id: np.ndarray, offer_id: np.ndarray, seed: int, salt: int) -> np.ndarray:
    """Standard-normal noise that depends only on (customer, offer, seed, salt).

    A splitmix64 hash, so the same pair gets the same latent noise in the impressions and
    in the truth table, whatever order the pairs come in.
    """
    with np.errstate(over="ignore"):
        x = (customer_id.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ (
            offer_id.astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9)
        )
        x ^= np.uint64((seed * 1_000_003 + salt) & 0xFFFFFFFFFFFFFFFF)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    u = (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    u = np.clip(u, 1e-12, 1 - 1e-12)
    # Box-Muller on two disjoint bit ranges of the hash
    v = ((x & np.uint64(0x7FF)).astype(np.float64) + 0.5) / 2048.0
    return np.sqrt(-2.0 * np.log(u)) * np.cos(2 * np.pi * v)


def _calibrate_intercept(base_logit: np.ndarray, target_mean: float, transform=None) -> float:
    """Intercept b such that mean(transform(sigmoid(base_logit + b))) equals target_mean."""
    transform = transform or (lambda p: p)
    lo, hi = -30.0, 30.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if transform(_sigmoid(base_logit + mid)).mean() < target_mean:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _categorical_cdf(weights: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Concatenated per-group CDFs shifted by the group number.

    ``searchsorted(cdf, g + u)`` then draws an item of group g with probability
    proportional to its weight, for many groups in one vectorised call. Items must be
    sorted by group.
    """
    totals = np.bincount(group, weights=weights, minlength=n_groups)
    cum = np.cumsum(weights)
    group_start_cum = np.concatenate([[0.0], np.cumsum(totals)])[group]
    within = (cum - group_start_cum) / np.where(totals[group] > 0, totals[group], 1.0)
    cdf = group + within
    # guard against rounding: the last item of each group must reach g + 1 exactly
    last = np.r_[group[1:] != group[:-1], True]
    cdf[last] = group[last] + 1.0
    return cdf


class PairHistory:
    """Purchase history per (customer, product) and (customer, category, day), indexed once in
    DuckDB, to look up for (customer, offer) pairs as of a day: did the customer buy the
    offered product (any product of the category, for a category-level offer) before, and
    how many days ago did they last buy in the category."""

    def __init__(self, customer: np.ndarray, product: np.ndarray, category: np.ndarray, day: np.ndarray) -> None:
        self.con = duckdb.connect()
        lines = pd.DataFrame(
            {"c": customer.astype(np.int32), "p": product.astype(np.int32), "k": category.astype(np.int16), "d": day}
        )
        self.con.register("lines", lines)
        self.con.execute("create table first_product as select c, p, min(d) as first_d from lines group by all")
        self.con.execute("create table category_days as select distinct c, k, d from lines")
        self.con.unregister("lines")

    def lookup(self, customer: np.ndarray, product: np.ndarray, category: np.ndarray, asof: np.ndarray) -> pd.DataFrame:
        pairs = pd.DataFrame(
            {
                "pair": np.arange(len(customer)),
                "c": customer.astype(np.int32),
                "p": product.astype(np.int32),  # -1 for category-level offers
                "k": category.astype(np.int16),
                "asof": asof.astype(np.int32),
            }
        )
        self.con.register("pairs", pairs)
        result = self.con.sql(
            """
            select pairs.pair,
                   coalesce(case when pairs.p >= 0 then fp.first_d < pairs.asof
                                 else cd.d is not null end, false) as bought_before,
                   pairs.asof - cd.d as days_since_category
            from pairs
            asof left join category_days cd
              on pairs.c = cd.c and pairs.k = cd.k and pairs.asof > cd.d
            left join first_product fp on pairs.c = fp.c and pairs.p = fp.p
            order by pairs.pair
            """
        ).df()
        self.con.unregister("pairs")
        return result


class Generator:
    def __init__(self, config: GeneratorConfig, reference: Reference | None = None, echo=print) -> None:
        config.validate()
        self.cfg = config
        self.ref = reference or load_reference()
        self.rng = np.random.default_rng(config.seed)
        self.progress = Progress(echo)
        self.dates = pd.date_range(config.start_date, config.end_date, freq="D")
        self.day0 = np.datetime64(config.start_date, "D")
        self._history: PairHistory | None = None

    # ------------------------------------------------------------------ dimensions
    def customers(self) -> pd.DataFrame:
        cfg, rng, seg = self.cfg, self.rng, self.ref.segments
        counts = np.floor(seg.customer_share.to_numpy() * cfg.customers).astype(int)
        counts[0] += cfg.customers - counts.sum()
        segment_idx = rng.permutation(np.repeat(np.arange(len(seg)), counts))
        n = cfg.customers

        # 80% were customers before the history starts; 20% sign up during its first 85%.
        existing = rng.random(n) < 0.8
        signup_day = np.where(
            existing,
            -rng.integers(1, 3 * 365, n),
            rng.integers(0, max(1, int(cfg.days * 0.85)), n),
        )
        self.segment_idx = segment_idx
        self.signup_day = signup_day
        self.rate_mult = rng.gamma(4.0, 1 / 4.0, n)
        ps_mean = seg.price_sensitivity_mean.to_numpy()[segment_idx]
        self.price_sensitivity = rng.beta(ps_mean * 8, (1 - ps_mean) * 8)
        pr_mean = seg.promo_responsiveness_mean.to_numpy()[segment_idx]
        self.promo_responsiveness = pr_mean * rng.lognormal(-0.08, 0.4, n)
        loyalty_mean = seg.brand_loyalty_mean.to_numpy()[segment_idx]
        self.loyalty = rng.beta(loyalty_mean * 10, (1 - loyalty_mean) * 10)

        cats = self.ref.categories
        seg_pref = cats[[f"pref_{s}" for s in SEGMENTS]].to_numpy().T  # segments x categories
        seg_pref = seg_pref / seg_pref.sum(axis=1, keepdims=True)
        alpha = 25.0 * seg_pref[segment_idx]
        gam = rng.gamma(alpha)
        self.category_pref = gam / gam.sum(axis=1, keepdims=True)  # customers x categories

        frame = pd.DataFrame(
            {
                "customer_id": np.arange(1, n + 1, dtype=np.int64),
                "segment": np.array(SEGMENTS)[segment_idx],
                "signup_date": self.day0 + signup_day.astype("timedelta64[D]"),
                "home_store_id": rng.integers(1, N_STORES + 1, n).astype(np.int32),
            }
        )
        self.progress.done("customers", len(frame))
        return frame

    def products(self) -> pd.DataFrame:
        cfg, rng, cats = self.cfg, self.rng, self.ref.categories
        n_cat = len(cats)
        share = cats.product_share.to_numpy() / cats.product_share.sum()
        counts = np.maximum(1, np.floor(share * cfg.products)).astype(int)
        while counts.sum() > cfg.products:  # tiny catalogues: trim the largest categories
            counts[np.argmax(counts)] -= 1
        counts[np.argmax(share)] += cfg.products - counts.sum()
        category_idx = np.repeat(np.arange(n_cat), counts)
        n = len(category_idx)

        private_label = rng.random(n) < cats.private_label_share.to_numpy()[category_idx]
        price = cats.price_median.to_numpy()[category_idx] * rng.lognormal(0, 0.45, n)
        price = np.where(private_label, price * 0.75, price)
        margin = cats.margin_pct.to_numpy()[category_idx] * rng.lognormal(0, 0.15, n) + 0.06 * private_label
        margin = np.clip(margin, 0.05, 0.7)
        base_price = np.round(np.maximum(price, 0.19), 2)
        unit_cost = np.round(base_price * (1 - margin), 2)

        # Zipf popularity within each category, in a random order of products
        rank_in_cat = np.zeros(n)
        for c in range(n_cat):  # one loop per category, not per product
            members = np.flatnonzero(category_idx == c)
            rank_in_cat[members] = rng.permutation(len(members)) + 1
        popularity = rank_in_cat**-0.9 * np.where(private_label, 1.3, 1.0)

        brand_no = rng.integers(1, 13, n)
        brand = np.where(
            private_label,
            np.where(cats.price_median.to_numpy()[category_idx] > 5, "Metro Chef", "aro"),
            np.char.add(
                np.char.add("Brand ", np.char.zfill((category_idx + 1).astype(str), 2)),
                np.char.add("-", np.char.zfill(brand_no.astype(str), 2)),
            ),
        )
        product_id = np.arange(1, n + 1, dtype=np.int64)
        names = cats.category_name.to_numpy()[category_idx]
        self.product_category = category_idx
        self.product_price = base_price
        self.product_popularity = popularity
        self.cdf_all = _categorical_cdf(popularity, category_idx, n_cat)
        pl_weight = popularity * private_label
        has_pl = np.bincount(category_idx, weights=private_label, minlength=n_cat) > 0
        self.cdf_private = _categorical_cdf(np.where(has_pl[category_idx], pl_weight, popularity), category_idx, n_cat)

        frame = pd.DataFrame(
            {
                "product_id": product_id,
                "product_name": np.char.add(
                    np.char.add(brand.astype(str), " "),
                    np.char.add(names.astype(str), np.char.add(" #", product_id.astype(str))),
                ),
                "category_id": (cats.category_id.to_numpy()[category_idx]).astype(np.int32),
                "brand": brand.astype(str),
                "is_private_label": private_label,
                "base_price": base_price,
                "unit_cost": unit_cost,
            }
        )
        self.progress.done("products", len(frame))
        return frame

    def _draw_products(self, customer_idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A product index per entry: category from the customer's preferences, product by
        popularity within it (private label only, for price-sensitive draws)."""
        n_cat = self.category_pref.shape[1]
        pref_cdf = np.cumsum(self.category_pref, axis=1)
        pref_cdf[:, -1] = 1.0
        flat = (pref_cdf + np.arange(len(pref_cdf))[:, None]).ravel()
        cat = np.searchsorted(flat, customer_idx + rng.random(len(customer_idx)), side="right") - customer_idx * n_cat
        cat = np.minimum(cat, n_cat - 1)
        private = rng.random(len(customer_idx)) < self.price_sensitivity[customer_idx] * 0.6
        u = cat + rng.random(len(customer_idx))
        product = np.where(
            private,
            np.searchsorted(self.cdf_private, u, side="right"),
            np.searchsorted(self.cdf_all, u, side="right"),
        )
        return np.minimum(product, len(self.cdf_all) - 1)

    # ------------------------------------------------------------------ facts
    def orders_and_items(self, days: np.ndarray, rng: np.random.Generator) -> None:
        """Visits and baskets on the given days (indices from the history's first day)."""
        cfg, seg = self.cfg, self.ref.segments
        n_cust = cfg.customers
        cycle, holiday = self.ref.day_multipliers(pd.DatetimeIndex(self.day0 + days.astype("timedelta64[D]")))
        rate = (
            seg.visits_per_month.to_numpy()[self.segment_idx] * self.rate_mult * cfg.visit_rate_scale / DAYS_PER_MONTH
        )

        in_shift_segment = self.segment_idx == (SEGMENTS.index(cfg.shift_segment) if cfg.shift_segment else -1)
        shift_days = cfg.shifted(days)
        order_day, order_cust = [], []
        for i, d in enumerate(days):  # one vectorised draw per day
            p = np.minimum(rate * cycle[i] * holiday[i], 1.0)
            if shift_days[i]:
                p = np.where(in_shift_segment, np.minimum(p * cfg.shift_visit_multiplier, 1.0), p)
            visit = (rng.random(n_cust) < p) & (self.signup_day <= d)
            idx = np.flatnonzero(visit)
            order_cust.append(idx)
            order_day.append(np.full(len(idx), d, dtype=np.int32))
        order_cust = np.concatenate(order_cust)
        order_day = np.concatenate(order_day)
        n_orders = len(order_cust)
        store = np.where(
            rng.random(n_orders) < 0.9, self.customers_home_store[order_cust], rng.integers(1, N_STORES + 1, n_orders)
        )
        self.progress.done("orders (visits)", n_orders)

        # basket lines
        lines_mean = seg.basket_lines_mean.to_numpy()[self.segment_idx[order_cust]] * cfg.basket_size_scale
        lines_mean = np.where(
            in_shift_segment[order_cust] & cfg.shifted(order_day), lines_mean * cfg.shift_basket_multiplier, lines_mean
        )
        n_lines = 1 + rng.poisson(np.maximum(lines_mean - 1, 0))
        line_order = np.repeat(np.arange(n_orders), n_lines)
        line_cust = order_cust[line_order]
        favourite = rng.random(len(line_order)) < self.loyalty[line_cust]
        fav_rank_w = 1.0 / np.arange(1, FAVOURITES_PER_CUSTOMER + 1)
        fav_cdf = np.cumsum(fav_rank_w) / fav_rank_w.sum()
        fav_pick = np.minimum(np.searchsorted(fav_cdf, rng.random(len(line_order))), FAVOURITES_PER_CUSTOMER - 1)
        product = np.where(
            favourite,
            self.favourites[line_cust * FAVOURITES_PER_CUSTOMER + fav_pick],
            self._draw_products(line_cust, rng),
        )
        # one line per product in an order
        key = line_order.astype(np.int64) * (len(self.cdf_all) + 1) + product
        _, first = np.unique(key, return_index=True)
        first.sort()
        line_order, line_cust, product = line_order[first], line_cust[first], product[first]
        qty_mean = seg.quantity_mean.to_numpy()[self.segment_idx[line_cust]]
        quantity = 1 + rng.poisson(np.maximum(qty_mean - 1, 0))
        starts = np.r_[0, np.flatnonzero(np.diff(line_order)) + 1]
        counts = np.diff(np.r_[starts, len(line_order)])
        line_number = np.arange(len(line_order)) - np.repeat(starts, counts) + 1

        self.order_cust, self.order_day, self.order_store = order_cust, order_day, store
        self.items = {
            "order_idx": line_order,
            "line_number": line_number.astype(np.int32),
            "product_idx": product,
            "quantity": quantity.astype(np.int32),
        }
        self.progress.done("order items (baskets)", len(line_order))
        return None

    def offers(self) -> pd.DataFrame:
        # its own random stream: appending a day rebuilds the offers without replaying history
        cfg, rng = self.cfg, np.random.default_rng([self.cfg.seed, OFFER_STREAM])
        n = cfg.offers
        cats = self.ref.categories
        product_level = rng.random(n) < cfg.product_offer_share
        # popular products are promoted more often; sample without replacement where possible
        weights = self.product_popularity / self.product_popularity.sum()
        size = min(n, len(weights))
        chosen = rng.choice(len(weights), size=size, replace=False, p=weights)
        offer_product = np.resize(chosen, n)
        cat_weight = cats[[f"pref_{s}" for s in SEGMENTS]].to_numpy().mean(axis=1)
        offer_cat_idx = np.where(
            product_level,
            self.product_category[offer_product],
            rng.choice(len(cats), size=n, p=cat_weight / cat_weight.sum()),
        )
        discount = rng.choice(DISCOUNT_LEVELS, size=n, p=DISCOUNT_WEIGHTS)
        duration = rng.integers(14, 64, n)
        start = rng.integers(-30, cfg.days + 21, n)
        # at least 10% of offers are live on the day after the history (the default run date)
        live = rng.permutation(n)[: max(1, n // 10)]
        start[live] = cfg.days - rng.integers(1, 29, len(live))
        duration[live] = np.maximum(duration[live], cfg.days - start[live] + 14)
        end = start + duration - 1

        self.offer_product_idx = np.where(product_level, offer_product, -1)
        self.offer_cat_idx = offer_cat_idx
        self.offer_discount = discount
        self.offer_start, self.offer_end = start, end
        names = np.where(
            product_level,
            "product #" + pd.Series(offer_product + 1).astype(str),
            cats.category_name.to_numpy()[offer_cat_idx],
        )
        frame = pd.DataFrame(
            {
                "offer_id": np.arange(1, n + 1, dtype=np.int64),
                "offer_name": [f"{int(round(d * 100))}% off {nm}" for d, nm in zip(discount, names, strict=True)],
                "offer_level": np.where(product_level, "product", "category"),
                "product_id": pd.array(np.where(product_level, offer_product + 1, 0), dtype="Int64"),
                "category_id": cats.category_id.to_numpy()[offer_cat_idx].astype(np.int32),
                "discount_pct": discount,
                "start_date": self.day0 + start.astype("timedelta64[D]"),
                "end_date": self.day0 + end.astype("timedelta64[D]"),
            }
        )
        frame.loc[~product_level, "product_id"] = pd.NA
        self.progress.done("offers", len(frame))
        return frame

    def impressions(self, launch_days: range, last_generated_day: int, rng: np.random.Generator) -> None:
        """Audiences of the offers launched on launch_days (an offer launches on its start
        day, or on the history's first day if it started before)."""
        cfg = self.cfg
        n_cust = cfg.customers
        cust_all, offer_all, day_all, prop_all, policy_all, ctrl_all = [], [], [], [], [], []
        for o in range(cfg.offers):  # one vectorised audience draw per offer
            campaign_day = max(int(self.offer_start[o]), 0)
            if campaign_day not in launch_days or self.offer_end[o] < campaign_day:
                continue
            eligible = self.signup_day <= campaign_day
            n_eligible = int(eligible.sum())
            if n_eligible == 0:
                continue
            audience = cfg.audience_share * n_eligible
            # the legacy targeting policy: share of wallet in the category x promo responsiveness
            w = self.category_pref[:, self.offer_cat_idx[o]] ** 2 * self.promo_responsiveness * eligible
            p_target = np.minimum(0.9, audience * (1 - cfg.explore_share) * w / w.sum())
            p_explore = np.where(eligible, audience * cfg.explore_share / n_eligible, 0.0)
            targeted = rng.random(n_cust) < p_target
            explored = rng.random(n_cust) < p_explore
            selected = np.flatnonzero(targeted | explored)
            last_day = min(int(self.offer_end[o]), last_generated_day)
            days = np.minimum(campaign_day + rng.integers(0, 7, len(selected)), last_day)
            cust_all.append(selected)
            offer_all.append(np.full(len(selected), o))
            day_all.append(days)
            prop_all.append(1 - (1 - p_target[selected]) * (1 - p_explore[selected]))
            policy_all.append(np.where(targeted[selected], "targeted", "explore"))
            ctrl_all.append(rng.random(len(selected)) < cfg.control_share)
        self.imp = {
            "customer_idx": np.concatenate(cust_all) if cust_all else np.zeros(0, int),
            "offer_idx": np.concatenate(offer_all) if offer_all else np.zeros(0, int),
            "day": np.concatenate(day_all) if day_all else np.zeros(0, int),
            "propensity": np.concatenate(prop_all) if prop_all else np.zeros(0),
            "policy": np.concatenate(policy_all) if policy_all else np.zeros(0, str),
            "is_control": np.concatenate(ctrl_all) if ctrl_all else np.zeros(0, bool),
        }
        order = np.lexsort((self.imp["customer_idx"], self.imp["offer_idx"], self.imp["day"]))
        self.imp = {k: v[order] for k, v in self.imp.items()}
        self.progress.done("impressions", len(order))

    def _pair_history(self) -> PairHistory:
        if self._history is None:
            self._history = PairHistory(
                customer=self.order_cust[self.items["order_idx"]],
                product=self.items["product_idx"],
                category=self.product_category[self.items["product_idx"]],
                day=self.order_day[self.items["order_idx"]],
            )
        return self._history

    def _pair_probabilities(self, cust: np.ndarray, offer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Logits of P(buy anyway) and of the incremental response, for (customer, offer) pairs."""
        asof = np.maximum(self.offer_start[offer], 0)
        history = self._pair_history().lookup(cust, self.offer_product_idx[offer], self.offer_cat_idx[offer], asof)
        return self._true_logits(cust, offer, history)

    def _true_logits(self, cust: np.ndarray, offer: np.ndarray, history: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Logits of P(buy anyway) and of the incremental response q, before intercepts."""
        n_cat = self.category_pref.shape[1]
        affinity = np.log(self.category_pref[cust, self.offer_cat_idx[offer]] * n_cat + 1e-3)
        bought = history.bought_before.to_numpy().astype(float)
        days_since = history.days_since_category.to_numpy(dtype=float, na_value=np.nan)
        recent = np.where(np.isnan(days_since), 0.0, np.exp(-np.nan_to_num(days_since) / 30.0))
        cid, oid = cust + 1, offer + 1
        organic = 1.0 * affinity + 1.4 * bought + 0.8 * recent + 0.5 * _pair_noise(cid, oid, self.cfg.seed, 1)
        response = (
            1.0 * affinity
            + 6.0 * self.price_sensitivity[cust] * self.offer_discount[offer]
            + 0.9 * bought
            + 0.6 * recent
            + 1.2 * np.log(self.promo_responsiveness[cust])
            + 0.5 * _pair_noise(cid, oid, self.cfg.seed, 2)
        )
        return organic, response

    def outcomes(self, rng: np.random.Generator, horizon: int, first_impression_id: int, calibration=None) -> None:
        """True probabilities, then redemptions and control-group organic purchases.

        Intercepts are calibrated on the history's impressions (or passed in when a day is
        appended). Events after ``horizon`` (the last generated day) are kept in
        ``self.pending`` and land on their day when it is appended."""
        cfg = self.cfg
        imp = self.imp
        n_imp = len(imp["customer_idx"])
        organic, response = self._pair_probabilities(imp["customer_idx"], imp["offer_idx"])
        shown = ~imp["is_control"]
        if calibration is not None:
            c0, b0 = calibration["organic_intercept"], calibration["response_intercept"]
            p0 = _sigmoid(organic + c0)
        elif n_imp and shown.any():
            c0 = _calibrate_intercept(organic[shown], cfg.conversion_rate * cfg.organic_share)
            p0 = _sigmoid(organic + c0)
            b0 = _calibrate_intercept(
                response[shown], cfg.conversion_rate, transform=lambda q: p0[shown] + (1 - p0[shown]) * q
            )
        else:  # nothing shown inside the history: no data to calibrate on
            c0 = b0 = -5.0
            p0 = _sigmoid(organic + c0)
        p1 = p0 + (1 - p0) * _sigmoid(response + b0)
        self.calibration = {"organic_intercept": c0, "response_intercept": b0}

        # realised outcomes of logged impressions
        u = rng.random(n_imp)
        event = np.where(shown, u < p1, u < p0)
        available = np.maximum(self.offer_end[imp["offer_idx"]] - imp["day"], 0)
        delay = rng.geometric(0.3, n_imp) - 1
        delay = np.where(delay <= available, delay, rng.integers(0, available + 1))
        ev = np.flatnonzero(event)
        ev_offer = imp["offer_idx"][ev]
        product = self.offer_product_idx[ev_offer]
        cat_level = product < 0
        if cat_level.any():
            product[cat_level] = np.searchsorted(
                self.cdf_all, self.offer_cat_idx[ev_offer[cat_level]] + rng.random(cat_level.sum()), side="right"
            )
        product = np.minimum(product, len(self.cdf_all) - 1)
        events = {
            "impression_id": first_impression_id + ev,
            "customer_idx": imp["customer_idx"][ev],
            "offer_idx": ev_offer,
            "day": imp["day"][ev] + delay[ev],
            "product_idx": product,
            "redeemed": shown[ev],
            "quantity": (
                1
                + rng.poisson(
                    np.maximum(
                        self.ref.segments.quantity_mean.to_numpy()[self.segment_idx[imp["customer_idx"][ev]]] - 1, 0
                    )
                )
            ).astype(np.int32),
        }
        due = events["day"] <= horizon
        self.events = {k: v[due] for k, v in events.items()}
        self.pending = {k: v[~due] for k, v in events.items()}
        self.progress.done("outcomes (redemptions)", len(ev))

    def truth_chunks(self, max_pairs: int = 4_000_000):
        """The truth table in chunks of whole offers: every customer x every offer valid in
        the last 8 weeks of history, with the calibrated true probabilities. Chunked so that
        10,000 offers stay within memory."""
        cfg = self.cfg
        window_start = cfg.days - TRUTH_WINDOW_DAYS
        offers = np.flatnonzero((self.offer_end >= window_start) & (self.offer_start <= cfg.days - 1))
        per_chunk = max(1, max_pairs // cfg.customers)
        for first in range(0, len(offers), per_chunk):
            chunk = offers[first : first + per_chunk]
            cust = np.tile(np.arange(cfg.customers), len(chunk))
            offer = np.repeat(chunk, cfg.customers)
            organic, response = self._pair_probabilities(cust, offer)
            p0 = _sigmoid(organic + self.calibration["organic_intercept"])
            p1 = p0 + (1 - p0) * _sigmoid(response + self.calibration["response_intercept"])
            yield pd.DataFrame(
                {
                    "customer_id": (cust + 1).astype(np.int64),
                    "offer_id": (offer + 1).astype(np.int64),
                    "p_redeem_if_shown": p1,
                    "p_buy_if_not_shown": p0,
                    "true_uplift": p1 - p0,
                }
            )

    def attach_event_lines(self) -> None:
        """Put each redemption / organic purchase on the customer's order of that day,
        opening a new order where the customer had none."""
        ev = self.events
        n_orders = len(self.order_cust)
        order_key = pd.Series(np.arange(n_orders), index=self.order_cust.astype(np.int64) * 100_000 + self.order_day)
        order_key = order_key[~order_key.index.duplicated()]
        ev_key = ev["customer_idx"].astype(np.int64) * 100_000 + ev["day"]
        matched = order_key.reindex(ev_key).to_numpy()
        missing = np.isnan(matched)
        new_keys, new_pos = np.unique(ev_key[missing], return_inverse=True)
        new_order_idx = n_orders + np.arange(len(new_keys))
        order_idx = matched.copy()
        order_idx[missing] = new_order_idx[new_pos]
        order_idx = order_idx.astype(np.int64)
        new_cust = (new_keys // 100_000).astype(self.order_cust.dtype)
        new_day = (new_keys % 100_000).astype(np.int32)
        self.order_cust = np.concatenate([self.order_cust, new_cust])
        self.order_day = np.concatenate([self.order_day, new_day])
        self.order_store = np.concatenate([self.order_store, self.customers_home_store[new_cust]])

        # line numbers continue after the order's existing lines
        existing_lines = np.bincount(self.items["order_idx"], minlength=len(self.order_cust))
        sort = np.lexsort((np.arange(len(order_idx)), order_idx))
        rank = np.empty(len(order_idx), dtype=np.int64)
        sorted_orders = order_idx[sort]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_orders)) + 1]
        rank[sort] = np.arange(len(sorted_orders)) - np.repeat(starts, np.diff(np.r_[starts, len(sorted_orders)]))
        ev["order_idx"] = order_idx
        ev["line_number"] = (existing_lines[order_idx] + rank + 1).astype(np.int32)

    # ------------------------------------------------------------------ assembly
    def dimensions(self) -> dict[str, pd.DataFrame]:
        """Customers (with latent traits), products, favourites and offers: all reproducible
        from the seed alone, so an appended day sees the same population."""
        customers = self.customers()
        self.customers_home_store = customers.home_store_id.to_numpy()
        products = self.products()
        # favourites: the products a customer keeps coming back to (brand loyalty, repeats)
        fav_owner = np.repeat(np.arange(self.cfg.customers), FAVOURITES_PER_CUSTOMER)
        self.favourites = self._draw_products(fav_owner, self.rng)
        offers = self.offers()
        return {"customers": customers, "products": products, "offers": offers, "offer_products": self.offer_products()}

    def offer_products(self) -> pd.DataFrame:
        """What each offer discounts: its product, or every product of its category."""
        product_level = self.offer_product_idx >= 0
        by_category = pd.DataFrame(
            {"category_idx": self.product_category, "product_id": np.arange(len(self.product_category)) + 1}
        )
        category_offers = pd.DataFrame(
            {"offer_id": np.flatnonzero(~product_level) + 1, "category_idx": self.offer_cat_idx[~product_level]}
        )
        frame = pd.concat(
            [
                pd.DataFrame(
                    {
                        "offer_id": np.flatnonzero(product_level) + 1,
                        "product_id": self.offer_product_idx[product_level] + 1,
                    }
                ),
                category_offers.merge(by_category, on="category_idx")[["offer_id", "product_id"]],
            ]
        )
        frame = frame.astype("int64").sort_values(["offer_id", "product_id"], ignore_index=True)
        self.progress.done("offer products", len(frame))
        return frame

    def build(self) -> dict[str, pd.DataFrame]:
        """The whole history: dimensions, then facts for days 0 .. days-1."""
        tables = self.dimensions()
        last_day = self.cfg.days - 1
        self.orders_and_items(np.arange(self.cfg.days), self.rng)
        self.impressions(range(0, last_day + 1), last_day, self.rng)
        self.outcomes(self.rng, horizon=last_day, first_impression_id=1)
        self.attach_event_lines()
        return {**tables, **self.fact_tables(first_order_id=1, first_impression_id=1, first_redemption_id=1)}

    def fact_tables(self, first_order_id: int, first_impression_id: int, first_redemption_id: int) -> dict:
        """Orders, order items, impressions and redemptions of the generated days as frames,
        with ids continuing from the given ones."""
        items, ev, imp = self.items, self.events, self.imp
        price = self.product_price
        ev_price = price[ev["product_idx"]]
        ev_discount = np.where(ev["redeemed"], np.round(ev_price * self.offer_discount[ev["offer_idx"]], 2), 0.0)
        # orders are numbered by (date, customer) so ids grow with time
        order_rank = np.lexsort((self.order_cust, self.order_day))
        new_id = np.empty(len(order_rank), dtype=np.int64)
        new_id[order_rank] = np.arange(first_order_id, first_order_id + len(order_rank))
        n_basket = len(items["order_idx"])
        order_items = pd.DataFrame(
            {
                "order_id": new_id[np.concatenate([items["order_idx"], ev["order_idx"]]).astype(np.int64)],
                "line_number": np.concatenate([items["line_number"], ev["line_number"]]),
                "product_id": np.concatenate([items["product_idx"], ev["product_idx"]]) + 1,
                "quantity": np.concatenate([items["quantity"], ev["quantity"]]),
                "unit_price": np.concatenate([price[items["product_idx"]], np.round(ev_price - ev_discount, 2)]),
                "discount_amount": np.concatenate([np.zeros(n_basket), np.round(ev_discount * ev["quantity"], 2)]),
                # only redemption lines carry an offer; organic purchases of control customers do not
                "offer_id": pd.arrays.IntegerArray(
                    np.concatenate([np.zeros(n_basket, np.int64), ev["offer_idx"] + 1]).astype(np.int64),
                    np.concatenate([np.ones(n_basket, bool), ~ev["redeemed"]]),
                ),
            }
        ).sort_values(["order_id", "line_number"], ignore_index=True)
        orders = pd.DataFrame(
            {
                "order_id": new_id,
                "customer_id": self.order_cust.astype(np.int64) + 1,
                "order_date": self.day0 + self.order_day.astype("timedelta64[D]"),
                "store_id": self.order_store.astype(np.int32),
            }
        ).sort_values("order_id", ignore_index=True)
        self.progress.done("orders (with redemptions)", len(orders))

        impressions = pd.DataFrame(
            {
                "impression_id": np.arange(first_impression_id, first_impression_id + len(imp["day"]), dtype=np.int64),
                "customer_id": imp["customer_idx"].astype(np.int64) + 1,
                "offer_id": imp["offer_idx"].astype(np.int64) + 1,
                "impression_date": self.day0 + imp["day"].astype("timedelta64[D]"),
                "policy": np.where(imp["is_control"], "control", imp["policy"]),
                "selection_propensity": imp["propensity"],
                "is_control": imp["is_control"],
            }
        )
        red = ev["redeemed"]
        redemptions = pd.DataFrame(
            {
                "impression_id": ev["impression_id"][red].astype(np.int64),
                "customer_id": ev["customer_idx"][red].astype(np.int64) + 1,
                "offer_id": ev["offer_idx"][red].astype(np.int64) + 1,
                "order_id": new_id[ev["order_idx"][red]],
                "product_id": ev["product_idx"][red].astype(np.int64) + 1,
                "redemption_date": self.day0 + ev["day"][red].astype("timedelta64[D]"),
                "discount_amount": np.round(ev_discount[red] * ev["quantity"][red], 2),
            }
        ).sort_values(["redemption_date", "impression_id"], ignore_index=True)
        redemptions.insert(
            0, "redemption_id", np.arange(first_redemption_id, first_redemption_id + len(redemptions), dtype=np.int64)
        )
        self.progress.done("redemptions", len(redemptions))
        return {"orders": orders, "order_items": order_items, "impressions": impressions, "redemptions": redemptions}


def landing_batch_name(last_day: dt.date, kind: str) -> str:
    """File stem of a landed batch. Names sort in landing order (the last day they cover
    first), and staging keeps the copy from the latest name when a key lands twice."""
    return f"landed_{last_day}_{kind}"


def _write_parquet(frame: pd.DataFrame, table: str, path: Path) -> None:
    """Write atomically (temp file, then rename) with the contract's schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(
        pa.Table.from_pandas(frame, schema=arrow_schema(table), preserve_index=False), tmp, compression="zstd"
    )
    tmp.replace(path)


def write_dataset(tables: dict[str, pd.DataFrame], out_dir: Path, batch_name: str) -> None:
    """Write each raw table as ``<out>/raw/<table>/<batch>.parquet``: one file per table and
    batch, so a later day lands as a new file beside the old ones."""
    for name, frame in tables.items():
        _write_parquet(frame, name, out_dir / "raw" / name / f"{batch_name}.parquet")


PENDING_EVENTS = Path("state") / "pending_events.parquet"


def _save_state(generator: Generator, out_dir: Path, manifest: dict, tables: dict) -> None:
    """What appending the next day needs beyond the seed: the next ids, the calibration, and
    the redemptions / control purchases already decided for days not generated yet."""
    state = manifest.setdefault("state", {})
    for key, table, column in (
        ("next_order_id", "orders", "order_id"),
        ("next_impression_id", "impressions", "impression_id"),
        ("next_redemption_id", "redemptions", "redemption_id"),
    ):
        if len(tables[table]):
            state[key] = int(tables[table][column].max()) + 1
        else:
            state.setdefault(key, 1)
    path = out_dir / PENDING_EVENTS
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(generator.pending).to_parquet(path)
    (out_dir / "raw" / "_manifest.json").write_text(json.dumps(manifest, indent=2))


def generate(config: GeneratorConfig, out_dir: Path, echo=print) -> dict:
    """Generate the data set and write it; returns the manifest (also saved as JSON)."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    for sub in ("raw", "truth"):  # a new history replaces the old landing zone entirely
        folder = out_dir / sub
        if folder.exists():
            for old in folder.glob("*/*.parquet"):
                old.unlink()
    generator = Generator(config, echo=echo)
    tables = generator.build()
    batch = landing_batch_name(config.end_date, "history")
    write_dataset(tables, out_dir, batch)
    generator.progress.done("raw parquet written")
    counts = {name: len(frame) for name, frame in tables.items()}
    counts["offer_truth"] = 0
    for part, truth in enumerate(generator.truth_chunks()):
        _write_parquet(truth, "offer_truth", out_dir / "truth" / "offer_truth" / f"{batch}_part{part:04d}.parquet")
        counts["offer_truth"] += len(truth)
    generator.progress.done("truth (hidden) written", counts["offer_truth"])
    shown = int((~tables["impressions"].is_control).sum())
    manifest = {
        "config": {k: str(v) if isinstance(v, dt.date) else v for k, v in asdict(config).items()},
        "history_start": str(config.start_date),
        "history_end": str(config.end_date),
        "default_run_date": str(config.end_date + dt.timedelta(days=1)),
        "days_appended": [],
        "row_counts": counts,
        "observed_conversion_rate": (len(tables["redemptions"]) / shown) if shown else None,
        "calibration": generator.calibration,
        "seconds": round(time.perf_counter() - started, 2),
    }
    (out_dir / "raw").mkdir(parents=True, exist_ok=True)
    _save_state(generator, out_dir, manifest, tables)
    echo(f"[generate] done in {manifest['seconds']:.1f} s -> {out_dir / 'raw'}")
    return manifest


def append_day(out_dir: Path, day: dt.date, echo=print) -> dict:
    """Land one more day after the history: its visits and baskets, the audiences of offers
    launching that day, and the redemptions and control purchases falling on it (decided
    when their impression was generated). Written as new ``landed_<day>_day`` files beside
    the old ones. Appending a day already landed changes nothing."""
    out_dir = Path(out_dir)
    manifest = read_manifest(out_dir)
    last = dt.date.fromisoformat(manifest["history_end"])
    if day <= last:
        echo(f"[append] {day} is already landed (history ends {last}): nothing to do")
        return manifest
    if day != last + dt.timedelta(days=1):
        raise ValueError(
            f"days are appended in order: the next day to land is {last + dt.timedelta(days=1)}, not {day}"
        )
    started = time.perf_counter()
    settings = {
        **manifest["config"],
        **{
            k: dt.date.fromisoformat(manifest["config"][k]) for k in ("end_date", "shift_from") if manifest["config"][k]
        },
    }
    generator = Generator(GeneratorConfig(**settings), echo=lambda line: echo(line.replace("[generate]", "[append]")))
    generator.dimensions()
    d = (day - generator.cfg.start_date).days
    rng = np.random.default_rng([generator.cfg.seed, DAY_STREAM, d])
    generator.orders_and_items(np.array([d]), rng)
    today = {k: v.copy() for k, v in generator.items.items()}
    orders_today = (generator.order_cust, generator.order_day, generator.order_store)

    # the purchase history as landed, for bought-before and recency of today's audiences
    with duckdb.connect() as con:
        raw = out_dir / "raw"
        lines = con.sql(
            f"""
            select o.customer_id - 1 as c, i.product_id - 1 as p,
                   date_diff('day', date '{generator.cfg.start_date}', o.order_date) as d
            from read_parquet('{raw}/order_items/*.parquet') as i
            join read_parquet('{raw}/orders/*.parquet') as o using (order_id)
            -- rows the warehouse quarantines (unknown keys) are no purchase history
            where i.product_id between 1 and {generator.cfg.products}
              and o.customer_id between 1 and {generator.cfg.customers}
              and i.quantity > 0
            """
        ).df()
    generator._history = PairHistory(
        lines.c.to_numpy(), lines.p.to_numpy(), generator.product_category[lines.p.to_numpy()], lines.d.to_numpy()
    )
    generator.impressions(range(d, d + 1), d, rng)
    state = manifest["state"]
    generator.outcomes(
        rng, horizon=d, first_impression_id=state["next_impression_id"], calibration=manifest["calibration"]
    )
    pending = pd.read_parquet(out_dir / PENDING_EVENTS)
    due = pending.day.to_numpy() <= d
    generator.events = {k: np.concatenate([pending[k].to_numpy()[due], generator.events[k]]) for k in generator.events}
    generator.pending = {
        k: np.concatenate([pending[k].to_numpy()[~due], generator.pending[k]]) for k in generator.pending
    }
    generator.order_cust, generator.order_day, generator.order_store = orders_today
    generator.items = today
    generator.attach_event_lines()
    tables = generator.fact_tables(state["next_order_id"], state["next_impression_id"], state["next_redemption_id"])
    write_dataset(tables, out_dir, landing_batch_name(day, "day"))
    for name, frame in tables.items():
        manifest["row_counts"][name] += len(frame)
    manifest["history_end"] = str(day)
    manifest["default_run_date"] = str(day + dt.timedelta(days=1))
    manifest["days_appended"].append(str(day))
    _save_state(generator, out_dir, manifest, tables)
    echo(f"[append] {day} landed in {time.perf_counter() - started:.1f} s")
    return manifest


def read_manifest(data_dir: Path) -> dict:
    path = Path(data_dir) / "raw" / "_manifest.json"
    if not path.exists():
        raise FileNotFoundError(f"no landing zone at {path.parent}: run `metro-offers generate` first")
    return json.loads(path.read_text())


__all__ = ["GeneratorConfig", "Generator", "append_day", "generate", "read_manifest", "write_dataset"]
