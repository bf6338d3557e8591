"""The simulated world: customers, products, visits and baskets, offers, the logged policy's
impressions, true probabilities and outcomes (the steps listed in the package docstring)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from metro_offers.generator.config import (
    DAYS_PER_MONTH,
    DISCOUNT_LEVELS,
    DISCOUNT_WEIGHTS,
    FAVOURITES_PER_CUSTOMER,
    N_STORES,
    OFFER_STREAM,
    TRUTH_WINDOW_DAYS,
    GeneratorConfig,
    Progress,
)
from metro_offers.generator.sampling import PairHistory, calibrate_intercept, categorical_cdf, pair_noise, sigmoid
from metro_offers.reference import SEGMENTS, Reference, load_reference


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
        self.cdf_all = categorical_cdf(popularity, category_idx, n_cat)
        pl_weight = popularity * private_label
        has_pl = np.bincount(category_idx, weights=private_label, minlength=n_cat) > 0
        self.cdf_private = categorical_cdf(np.where(has_pl[category_idx], pl_weight, popularity), category_idx, n_cat)

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
        organic = 1.0 * affinity + 1.4 * bought + 0.8 * recent + 0.5 * pair_noise(cid, oid, self.cfg.seed, 1)
        response = (
            1.0 * affinity
            + 6.0 * self.price_sensitivity[cust] * self.offer_discount[offer]
            + 0.9 * bought
            + 0.6 * recent
            + 1.2 * np.log(self.promo_responsiveness[cust])
            + 0.5 * pair_noise(cid, oid, self.cfg.seed, 2)
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
            p0 = sigmoid(organic + self.calibration["organic_intercept"])
            p1 = p0 + (1 - p0) * sigmoid(response + self.calibration["response_intercept"])
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
