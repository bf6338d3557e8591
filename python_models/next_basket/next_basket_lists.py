"""Every next-basket method's top-k lists for the customers with a basket on or after the
next-basket cutoff, among a fixed sample of var next_basket_customers customers (logic:
metro_offers.next_basket; computed once per cutoff and kept in the model store)."""

import datetime as dt
from pathlib import Path

import pandas as pd

from metro_offers.next_basket.sasrec import SasrecSettings
from metro_offers.next_basket.store import ensure_lists, evaluation_cutoff
from metro_offers.next_basket.task import warehouse_lines
from metro_offers.ranking.registry import landing_files


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    run_date = dt.date.fromisoformat(meta["run_date"])
    cutoff = evaluation_cutoff(run_date, int(meta["evaluation_holdout_days"]), int(meta["next_basket_every_days"]))
    customers = int(meta["next_basket_customers"])

    def read_lines():  # the sample's baskets before the run date (the task takes the first on or after the cutoff)
        return warehouse_lines(dbt.ref("int_order_lines_enriched"), meta["run_date"], cutoff, customers)

    lists, _ = ensure_lists(
        read_lines,
        cutoff,
        meta["next_basket_methods"].split(","),
        int(meta["k"]),
        int(meta["popularity_days"]),
        SasrecSettings.from_vars(meta),
        Path(meta["model_store_dir"]),
        landing_files(Path(meta["raw_root"])),
        force=str(meta["force_retrain"]).lower() == "true",
        sample_customers=customers,
    )
    return lists.assign(cutoff=pd.Timestamp(cutoff).date())
