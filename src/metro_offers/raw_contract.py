"""The raw contract: the tables, columns and types every source lands (docs/architecture.md §2).

The synthetic generator and the real-data adapters write exactly these schemas; the
landing-zone validation and the dbt sources check against them.
"""

from __future__ import annotations

import pyarrow as pa

RAW_SCHEMAS: dict[str, dict[str, pa.DataType]] = {
    "customers": {
        "customer_id": pa.int64(),
        "segment": pa.string(),
        "signup_date": pa.date32(),
        "home_store_id": pa.int32(),
    },
    "products": {
        "product_id": pa.int64(),
        "product_name": pa.string(),
        "category_id": pa.int32(),
        "brand": pa.string(),
        "is_private_label": pa.bool_(),
        "base_price": pa.float64(),
        "unit_cost": pa.float64(),
    },
    "offers": {
        "offer_id": pa.int64(),
        "offer_name": pa.string(),
        "offer_level": pa.string(),
        "product_id": pa.int64(),
        "category_id": pa.int32(),
        "discount_pct": pa.float64(),
        "start_date": pa.date32(),
        "end_date": pa.date32(),
    },
    # the products an offer discounts: one row for a product-level offer, every product of
    # the category for a category-level one, any set for a real data set's coupons
    "offer_products": {
        "offer_id": pa.int64(),
        "product_id": pa.int64(),
    },
    "orders": {
        "order_id": pa.int64(),
        "customer_id": pa.int64(),
        "order_date": pa.date32(),
        "store_id": pa.int32(),
    },
    "order_items": {
        "order_id": pa.int64(),
        "line_number": pa.int32(),
        "product_id": pa.int64(),
        "quantity": pa.int32(),
        "unit_price": pa.float64(),
        "discount_amount": pa.float64(),
        "offer_id": pa.int64(),
    },
    "impressions": {
        "impression_id": pa.int64(),
        "customer_id": pa.int64(),
        "offer_id": pa.int64(),
        "impression_date": pa.date32(),
        "policy": pa.string(),
        "selection_propensity": pa.float64(),
        "is_control": pa.bool_(),
    },
    "redemptions": {
        "redemption_id": pa.int64(),
        "impression_id": pa.int64(),
        "customer_id": pa.int64(),
        "offer_id": pa.int64(),
        "order_id": pa.int64(),
        "product_id": pa.int64(),
        "redemption_date": pa.date32(),
        "discount_amount": pa.float64(),
    },
}

# Hidden truth: never a dbt source for features or training, read only by evaluation.
TRUTH_SCHEMAS: dict[str, dict[str, pa.DataType]] = {
    "offer_truth": {
        "customer_id": pa.int64(),
        "offer_id": pa.int64(),
        "p_redeem_if_shown": pa.float64(),
        "p_buy_if_not_shown": pa.float64(),
        "true_uplift": pa.float64(),
    },
}

RAW_TABLES = tuple(RAW_SCHEMAS)
TRUTH_TABLES = tuple(TRUTH_SCHEMAS)

# Primary keys of the landed tables (the staging layer rejects duplicates of these).
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id",),
    "products": ("product_id",),
    "offers": ("offer_id",),
    "offer_products": ("offer_id", "product_id"),
    "orders": ("order_id",),
    "order_items": ("order_id", "line_number"),
    "impressions": ("impression_id",),
    "redemptions": ("redemption_id",),
}


def arrow_schema(table: str) -> pa.Schema:
    columns = RAW_SCHEMAS.get(table) or TRUTH_SCHEMAS[table]
    return pa.schema([pa.field(name, dtype) for name, dtype in columns.items()])
