"""The next-basket evaluation's lists, computed once per evaluation cutoff and kept in the
model store, so a daily build reuses them until the cutoff moves on its grid.

<model_store_dir>/next_basket/<cutoff>/
    lists.parquet        method, customer_id, product_id, rank
    sasrec.safetensors   the SASRec model the sequential methods used
    meta.json            methods, settings, landing read, timings, SASRec's training history
                         and the mixing weight

The cutoff is the latest date on a grid of var next_basket_every_days days at or before
run_date - evaluation_holdout_days. Recomputed when the methods or settings change, the
landing files it read changed (not when it only grew), or var force_retrain.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from metro_offers.anchors import anchor_date
from metro_offers.next_basket.methods import rank
from metro_offers.next_basket.sasrec import SasrecSettings
from metro_offers.next_basket.task import NextBasketTask, NoTask
from metro_offers.ranking.registry import landing_change

NEXT_BASKET_DIR = "next_basket"
LIST_COLUMNS = ["method", "customer_id", "product_id", "rank"]


def evaluation_cutoff(run_date: dt.date, holdout_days: int, every_days: int) -> dt.date:
    return anchor_date(run_date - dt.timedelta(days=holdout_days), every_days)


def cutoff_dir(store: Path, cutoff: dt.date) -> Path:
    return Path(store) / NEXT_BASKET_DIR / cutoff.isoformat()


def recompute_reason(store: Path, cutoff: dt.date, request: dict, files: dict, force: bool) -> str | None:
    if force:
        return "forced by var force_retrain"
    folder = cutoff_dir(store, cutoff)
    if not (folder / "meta.json").exists() or not (folder / "lists.parquet").exists():
        return "nothing stored for this cutoff"
    meta = json.loads((folder / "meta.json").read_text())
    if meta.get("request") != request:
        return "the methods or settings changed"
    return landing_change(meta, files)


def ensure_lists(
    read_lines: Callable[[], pd.DataFrame],
    cutoff: dt.date,
    methods: list[str],
    k: int,
    popularity_days: int,
    settings: SasrecSettings,
    store: Path,
    files: dict[str, int],
    force: bool = False,
    sample_customers: int | None = None,
    echo=print,
) -> tuple[pd.DataFrame, dict]:
    """Every method's top-k lists for the task at ``cutoff`` (method, customer_id,
    product_id, rank) and their provenance, computed or read from the store. ``read_lines``
    gives the order lines (LINE_COLUMNS); it is called only when the lists are computed.
    ``sample_customers``: the size of the customer sample the lines hold (None: everyone), kept
    with the settings, so the lists are recomputed when it changes."""
    request = {
        "methods": list(methods),
        "k": k,
        "popularity_days": popularity_days,
        "sample_customers": sample_customers,
        "settings": settings.as_dict(),
    }
    folder = cutoff_dir(store, cutoff)
    reason = recompute_reason(store, cutoff, request, files, force)
    if reason is None:
        echo(f"[next basket] cutoff {cutoff}: reusing the stored lists")
        return pd.read_parquet(folder / "lists.parquet"), json.loads((folder / "meta.json").read_text())
    try:
        task = NextBasketTask.from_lines(read_lines(), pd.Timestamp(cutoff))
        echo(f"[next basket] cutoff {cutoff}: {task.customers.size:,} customers to rank ({reason})")
        ranked = rank(task, list(methods), k, popularity_days, settings, echo=echo)
    except NoTask as error:  # too little data around the cutoff: nothing to judge, nothing stored
        echo(f"[next basket] cutoff {cutoff}: no evaluation ({error})")
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in LIST_COLUMNS}).astype({"method": str}), {}
    lists = pd.concat([frame.assign(method=m) for m, frame in ranked.lists.items()], ignore_index=True)
    lists = lists[LIST_COLUMNS]
    meta = {
        "cutoff": cutoff.isoformat(),
        "request": request,
        "reason": reason,
        "computed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": ranked.seconds,
        "sasrec_training_seconds": ranked.training_seconds,
        "sasrec_history": ranked.model.history if ranked.model else [],
        "mix_weight": ranked.mix_weight,
        "mix_grid": ranked.mix_grid,
        "landing_files": files,
    }
    staging = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    lists.to_parquet(staging / "lists.parquet", index=False)
    if ranked.model is not None:
        (staging / "sasrec.safetensors").write_bytes(ranked.model.to_bytes())
    (staging / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
    for old in (Path(store) / NEXT_BASKET_DIR).glob("*"):  # one cutoff is kept
        if old != staging:
            shutil.rmtree(old, ignore_errors=True)
    staging.rename(folder)
    return lists, meta
