"""Steps 1-2 and 4 of the data-generating process: customers with latent traits, the product
catalogue, each customer's favourite products and the offers. All reproducible from the seed
alone, so an appended day sees the same population."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from metro_offers.generator.config import (
    DISCOUNT_LEVELS,
    DISCOUNT_WEIGHTS,
    FAVOURITES_PER_CUSTOMER,
    N_STORES,
    OFFER_STREAM,
    GeneratorConfig,
)
from metro_offers.generator.sampling import categorical_cdf
from metro_offers.reference import SEGMENTS, Reference


@dataclass(frozen=True)
class Customers:
    """Customers and their latent traits; index i is customer_id i + 1."""

    table: pd.DataFrame  # the raw customers table
    segment_idx: np.ndarray
    signup_day: np.ndarray  # days from the history's first day (negative: before it)
    rate_mult: np.ndarray  # multiplies the segment's visit rate
    price_sensitivity: np.ndarray
    promo_responsiveness: np.ndarray
    loyalty: np.ndarray  # share of basket lines drawn from the favourites
    category_pref: np.ndarray  # customers x categories, rows sum to 1
    home_store: np.ndarray


@dataclass(frozen=True)
class Catalogue:
    """Products; index i is product_id i + 1."""

    table: pd.DataFrame  # the raw products table
    category_idx: np.ndarray
    price: np.ndarray
    popularity: np.ndarray  # Zipf within each category
    cdf_all: np.ndarray  # per-category popularity CDFs, offset by the category index
    cdf_private: np.ndarray  # the same over private label (all products where a category has none)


@dataclass(frozen=True)
class Offers:
    """Offers; index i is offer_id i + 1. Days count from the history's first day."""

    table: pd.DataFrame  # the raw offers table
    products_table: pd.DataFrame  # the raw offer_products table
    product_idx: np.ndarray  # -1 for a category-level offer
    category_idx: np.ndarray
    discount: np.ndarray
    start: np.ndarray
    end: np.ndarray


@dataclass(frozen=True)
class Population:
    customers: Customers
    catalogue: Catalogue
    favourites: np.ndarray  # FAVOURITES_PER_CUSTOMER product indices per customer, flattened
    offers: Offers

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "customers": self.customers.table,
            "products": self.catalogue.table,
            "offers": self.offers.table,
            "offer_products": self.offers.products_table,
        }


def draw_population(cfg: GeneratorConfig, ref: Reference, rng: np.random.Generator, day0, progress) -> Population:
    customers = draw_customers(cfg, ref, rng, day0)
    progress.done("customers", len(customers.table))
    catalogue = draw_catalogue(cfg, ref, rng)
    progress.done("products", len(catalogue.table))
    # favourites: the products a customer keeps coming back to (brand loyalty, repeats)
    owner = np.repeat(np.arange(cfg.customers), FAVOURITES_PER_CUSTOMER)
    favourites = draw_products(customers, catalogue, owner, rng)
    offers = draw_offers(cfg, ref, catalogue, day0)
    progress.done("offers", len(offers.table))
    progress.done("offer products", len(offers.products_table))
    return Population(customers, catalogue, favourites, offers)


def draw_customers(cfg: GeneratorConfig, ref: Reference, rng: np.random.Generator, day0) -> Customers:
    seg = ref.segments
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
    rate_mult = rng.gamma(4.0, 1 / 4.0, n)
    ps_mean = seg.price_sensitivity_mean.to_numpy()[segment_idx]
    price_sensitivity = rng.beta(ps_mean * 8, (1 - ps_mean) * 8)
    pr_mean = seg.promo_responsiveness_mean.to_numpy()[segment_idx]
    promo_responsiveness = pr_mean * rng.lognormal(-0.08, 0.4, n)
    loyalty_mean = seg.brand_loyalty_mean.to_numpy()[segment_idx]
    loyalty = rng.beta(loyalty_mean * 10, (1 - loyalty_mean) * 10)

    cats = ref.categories
    seg_pref = cats[[f"pref_{s}" for s in SEGMENTS]].to_numpy().T  # segments x categories
    seg_pref = seg_pref / seg_pref.sum(axis=1, keepdims=True)
    gam = rng.gamma(25.0 * seg_pref[segment_idx])
    category_pref = gam / gam.sum(axis=1, keepdims=True)

    table = pd.DataFrame(
        {
            "customer_id": np.arange(1, n + 1, dtype=np.int64),
            "segment": np.array(SEGMENTS)[segment_idx],
            "signup_date": day0 + signup_day.astype("timedelta64[D]"),
            "home_store_id": rng.integers(1, N_STORES + 1, n).astype(np.int32),
        }
    )
    return Customers(
        table=table,
        segment_idx=segment_idx,
        signup_day=signup_day,
        rate_mult=rate_mult,
        price_sensitivity=price_sensitivity,
        promo_responsiveness=promo_responsiveness,
        loyalty=loyalty,
        category_pref=category_pref,
        home_store=table.home_store_id.to_numpy(),
    )


def draw_catalogue(cfg: GeneratorConfig, ref: Reference, rng: np.random.Generator) -> Catalogue:
    cats = ref.categories
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
    pl_weight = popularity * private_label
    has_pl = np.bincount(category_idx, weights=private_label, minlength=n_cat) > 0
    table = pd.DataFrame(
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
    return Catalogue(
        table=table,
        category_idx=category_idx,
        price=base_price,
        popularity=popularity,
        cdf_all=categorical_cdf(popularity, category_idx, n_cat),
        cdf_private=categorical_cdf(np.where(has_pl[category_idx], pl_weight, popularity), category_idx, n_cat),
    )


def draw_products(
    customers: Customers, catalogue: Catalogue, customer_idx: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """A product index per entry: category from the customer's preferences, product by
    popularity within it (private label only, for price-sensitive draws)."""
    n_cat = customers.category_pref.shape[1]
    # the preference CDFs of the customers drawn for only (a block's, not everyone's)
    first, last = (int(customer_idx.min()), int(customer_idx.max())) if len(customer_idx) else (0, -1)
    local = customer_idx - first
    pref_cdf = np.cumsum(customers.category_pref[first : last + 1], axis=1)
    pref_cdf[:, -1] = 1.0
    flat = (pref_cdf + np.arange(len(pref_cdf))[:, None]).ravel()
    cat = np.searchsorted(flat, local + rng.random(len(customer_idx)), side="right") - local * n_cat
    cat = np.minimum(cat, n_cat - 1)
    private = rng.random(len(customer_idx)) < customers.price_sensitivity[customer_idx] * 0.6
    u = cat + rng.random(len(customer_idx))
    product = np.where(
        private,
        np.searchsorted(catalogue.cdf_private, u, side="right"),
        np.searchsorted(catalogue.cdf_all, u, side="right"),
    )
    return np.minimum(product, len(catalogue.cdf_all) - 1)


def draw_offers(cfg: GeneratorConfig, ref: Reference, catalogue: Catalogue, day0) -> Offers:
    # its own random stream: appending a day rebuilds the offers without replaying history
    rng = np.random.default_rng([cfg.seed, OFFER_STREAM])
    n = cfg.offers
    cats = ref.categories
    product_level = rng.random(n) < cfg.product_offer_share
    # popular products are promoted more often; sample without replacement where possible
    weights = catalogue.popularity / catalogue.popularity.sum()
    size = min(n, len(weights))
    chosen = rng.choice(len(weights), size=size, replace=False, p=weights)
    offer_product = np.resize(chosen, n)
    cat_weight = cats[[f"pref_{s}" for s in SEGMENTS]].to_numpy().mean(axis=1)
    category_idx = np.where(
        product_level,
        catalogue.category_idx[offer_product],
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

    product_idx = np.where(product_level, offer_product, -1)
    names = np.where(
        product_level,
        "product #" + pd.Series(offer_product + 1).astype(str),
        cats.category_name.to_numpy()[category_idx],
    )
    table = pd.DataFrame(
        {
            "offer_id": np.arange(1, n + 1, dtype=np.int64),
            "offer_name": [f"{int(round(d * 100))}% off {nm}" for d, nm in zip(discount, names, strict=True)],
            "offer_level": np.where(product_level, "product", "category"),
            "product_id": pd.array(np.where(product_level, offer_product + 1, 0), dtype="Int64"),
            "category_id": cats.category_id.to_numpy()[category_idx].astype(np.int32),
            "discount_pct": discount,
            "start_date": day0 + start.astype("timedelta64[D]"),
            "end_date": day0 + end.astype("timedelta64[D]"),
        }
    )
    table.loc[~product_level, "product_id"] = pd.NA
    return Offers(
        table=table,
        products_table=_offer_products(product_idx, category_idx, catalogue.category_idx),
        product_idx=product_idx,
        category_idx=category_idx,
        discount=discount,
        start=start,
        end=end,
    )


def _offer_products(offer_product_idx, offer_category_idx, product_category_idx) -> pd.DataFrame:
    """What each offer discounts: its product, or every product of its category."""
    product_level = offer_product_idx >= 0
    by_category = pd.DataFrame(
        {"category_idx": product_category_idx, "product_id": np.arange(len(product_category_idx)) + 1}
    )
    category_offers = pd.DataFrame(
        {"offer_id": np.flatnonzero(~product_level) + 1, "category_idx": offer_category_idx[~product_level]}
    )
    frame = pd.concat(
        [
            pd.DataFrame(
                {"offer_id": np.flatnonzero(product_level) + 1, "product_id": offer_product_idx[product_level] + 1}
            ),
            category_offers.merge(by_category, on="category_idx")[["offer_id", "product_id"]],
        ]
    )
    return frame.astype("int64").sort_values(["offer_id", "product_id"], ignore_index=True)
