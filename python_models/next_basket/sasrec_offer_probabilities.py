"""SASRec's probability of each requested (customer, offer product set, as-of date): the
mass its anchor's model puts on the set's products for the customer's next basket (logic:
metro_offers.next_basket.offer_probability). Empty when var sasrec_offer_feature_enabled is
false."""

from pathlib import Path

import pandas as pd
import pyarrow as pa

from metro_offers.next_basket.offer_probability import ensure_anchor_models, offer_probabilities
from metro_offers.next_basket.sasrec import SasrecSettings
from metro_offers.next_basket.task import warehouse_lines
from metro_offers.ranking.registry import landing_files

SCHEMA = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("as_of_date", pa.date32()),
        ("product_set_id", pa.uint64()),
        ("anchor_date", pa.date32()),
        ("sasrec_offer_probability", pa.float64()),
    ]
)


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    if str(meta["sasrec_offer_feature_enabled"]).lower() != "true":
        return SCHEMA.empty_table()
    sets = dbt.ref("int_offer_product_sets").project("offer_id, product_set_id")
    pairs = (
        dbt.ref("int_customer_offer_requests")
        .join(sets, "offer_id")
        .project("customer_id, as_of_date, product_set_id")
        .distinct()
        .df()
    )
    if pairs.empty:
        return SCHEMA.empty_table()
    last_date = pd.to_datetime(pairs.as_of_date).max().date()
    # a model per pool (its date's anchor): none saw the pool's label window
    pool_dates = [row[0] for row in dbt.ref("int_pool_dates").project("as_of_date").fetchall()]
    offer_products = dbt.ref("stg_metro__offer_products")
    set_products = offer_products.join(sets, "offer_id").project("product_set_id, product_id").distinct().df()
    lines = warehouse_lines(dbt.ref("int_order_lines_enriched"), last_date)
    models = ensure_anchor_models(
        lines,
        pool_dates,
        SasrecSettings.from_vars(meta),
        int(meta["sasrec_anchor_days"]),
        Path(meta["model_store_dir"]),
        landing_files(Path(meta["raw_root"])),
        force=str(meta["force_retrain"]).lower() == "true",
    )
    probabilities = offer_probabilities(lines, pairs, set_products, models)
    return pa.Table.from_pandas(probabilities, schema=SCHEMA, preserve_index=False)
