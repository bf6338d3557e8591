"""Every next-basket method's top-k lists for the customers with a basket on or after the
next-basket cutoff (logic: metro_offers.next_basket; computed once per cutoff and kept in the
model store)."""

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
    # every basket before the run date (the task looks at the first one on or after the cutoff)
    lines = warehouse_lines(dbt.ref("int_order_lines_enriched"), meta["run_date"])
    lists, _ = ensure_lists(
        lines,
        cutoff,
        meta["next_basket_methods"].split(","),
        int(meta["k"]),
        int(meta["popularity_days"]),
        SasrecSettings.from_vars(meta),
        Path(meta["model_store_dir"]),
        landing_files(Path(meta["raw_root"])),
        force=str(meta["force_retrain"]).lower() == "true",
    )
    return lists.assign(cutoff=pd.Timestamp(cutoff).date())
