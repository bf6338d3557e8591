"""SASRec's probability of an offer's products, as a feature of the offer rankers.

For a (customer, offer, as-of date): the probability mass SASRec puts on the offer's products
for the customer's next basket, given its latest baskets strictly before the date — the sum
over the offer's products of P(product | sequence). One model per candidate pool's anchor
(metro_offers.anchors, grid of var sasrec_anchor_days), trained on the baskets strictly
before the anchor with the project's SASRec settings, so no model saw the window a pool is
labelled on; an impression's week uses the latest of these anchors at or before it (as
Item2Vec does). Null when the date precedes every anchor with a model, or the customer has no
basket of products the model knows.

<model_store_dir>/sasrec/<anchor date>/
    model.safetensors    the SASRec artifact (state dict, catalogue, settings and history)
    meta.json            settings, reason, training time, the landing it read
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from metro_offers import anchors
from metro_offers.next_basket.sasrec import SCORE_BATCH, Sasrec, SasrecSettings, training_data
from metro_offers.next_basket.sequences import BasketHistory
from metro_offers.next_basket.task import NoTask

SASREC_DIR = "sasrec"
MODEL_FILE = "model.safetensors"
OUTPUT_COLUMNS = ["customer_id", "as_of_date", "product_set_id", "anchor_date", "sasrec_offer_probability"]


def ensure_anchor_models(
    lines: pd.DataFrame,
    as_of_dates: list[dt.date],
    settings: SasrecSettings,
    spacing_days: int,
    store: Path,
    files: dict[str, int],
    force: bool = False,
    echo=print,
) -> dict[dt.date, Sasrec]:
    """The SASRec model of the anchor of each of ``as_of_dates``, trained on the ``lines``
    (customer_id, basket_id, basket_time, product_id) before the anchor or read from the
    store; an anchor with too little history for a training and a validation task gets no
    model. Anchors no longer needed are removed from the store."""
    needed = sorted({anchors.anchor_date(d, spacing_days) for d in as_of_dates})
    models = {}
    for anchor in needed:
        folder = anchors.anchor_dir(store, SASREC_DIR, anchor)
        reason = anchors.retrain_reason(store, SASREC_DIR, anchor, MODEL_FILE, settings.as_dict(), files, force)
        if reason is None:
            echo(f"[sasrec feature] anchor {anchor}: reusing the stored model")
            models[anchor] = Sasrec.from_bytes((folder / MODEL_FILE).read_bytes())
            continue
        started = time.perf_counter()
        try:
            data = training_data(lines, pd.Timestamp(anchor), settings)
        except NoTask as error:
            echo(f"[sasrec feature] anchor {anchor}: no model, too little history ({error}); its features are null")
            continue
        if not len(data.train.customers) or not len(data.valid.customers):
            echo(f"[sasrec feature] anchor {anchor}: no model, no training or validation sequences; features null")
            continue
        echo(f"[sasrec feature] anchor {anchor}: training ({reason})")
        model = Sasrec.fit(data, settings, echo=echo)
        seconds = time.perf_counter() - started
        meta = {
            "anchor_date": anchor.isoformat(),
            "settings": settings.as_dict(),
            "reason": reason,
            "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "training_seconds": round(seconds, 2),
            "products": len(model.products),
            "best_epoch": model.best_epoch,
            "landing_files": files,
        }

        def write(staging: Path, model=model, meta=meta) -> None:
            (staging / MODEL_FILE).write_bytes(model.to_bytes())
            (staging / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True))

        anchors.replace_dir(folder, write)
        echo(f"[sasrec feature] anchor {anchor}: trained in {seconds:.1f} s (best epoch {model.best_epoch})")
        models[anchor] = model
    anchors.prune(store, SASREC_DIR, set(needed))
    return models


def set_membership(set_products: pd.DataFrame, catalogue: np.ndarray, sets: np.ndarray) -> sparse.csr_matrix:
    """[catalogue products, sets] 0/1: product i of the sorted ``catalogue`` belongs to set
    ``sets[j]``. Products outside the catalogue have no probability and are left out."""
    known = set_products[np.isin(set_products.product_id.to_numpy(), catalogue)]
    rows = np.searchsorted(catalogue, known.product_id.to_numpy())
    columns = np.searchsorted(sets, known.product_set_id.to_numpy())
    values = np.ones(len(known), dtype=np.float32)
    return sparse.csr_matrix((values, (rows, columns)), shape=(len(catalogue), len(sets)))


def offer_probabilities(
    lines: pd.DataFrame,
    pairs: pd.DataFrame,
    set_products: pd.DataFrame,
    models: dict[dt.date, Sasrec],
    echo=print,
) -> pd.DataFrame:
    """OUTPUT_COLUMNS for the (customer_id, as_of_date, product_set_id) rows of ``pairs``, each
    scored by the model of the latest anchor in ``models`` at or before its date (rows before
    every anchor, or whose customer has no basket the model knows before the date, are left
    out); ``set_products``: product_set_id, product_id."""
    pairs = pairs[["customer_id", "as_of_date", "product_set_id"]].drop_duplicates()
    pairs = pairs.assign(as_of_date=pd.to_datetime(pairs.as_of_date).dt.date)
    model_anchors = sorted(models)
    anchor_of = {}
    for day in pairs.as_of_date.unique():
        position = bisect.bisect_right(model_anchors, day) - 1
        anchor_of[day] = model_anchors[position] if position >= 0 else None
    pairs = pairs.assign(anchor_date=pairs.as_of_date.map(anchor_of))
    sets = np.sort(set_products.product_set_id.unique())
    parts = []
    for anchor, model in sorted(models.items()):
        mine = pairs[pairs.anchor_date == anchor].sort_values(["as_of_date", "customer_id"], kind="stable")
        if mine.empty:
            continue
        started = time.perf_counter()
        dates = pd.to_datetime(mine.as_of_date).to_numpy(dtype="datetime64[s]")
        requests = mine.groupby(["as_of_date", "customer_id"], sort=False).ngroup().to_numpy()
        first = np.flatnonzero(np.diff(requests, prepend=-1))  # each request's first pair
        history = BasketHistory(lines[lines.basket_time < dates.max()], model.products, model.settings.max_basket_items)
        membership = set_membership(set_products, model.products, sets)
        set_column = np.searchsorted(sets, mine.product_set_id.to_numpy())
        customers = mine.customer_id.to_numpy()
        values = np.full(len(mine), np.nan, dtype=np.float64)
        for start in range(0, len(first), SCORE_BATCH):
            batch = first[start : start + SCORE_BATCH]
            sequences = history.sequences(customers[batch], dates[batch], model.settings.max_baskets)
            has_history = sequences.basket_count > 0
            if not has_history.any():
                continue
            scored_sequences = sequences.subset(np.flatnonzero(has_history))
            probabilities = np.concatenate([p for _, p in model.probabilities(scored_sequences)])
            set_probability = np.asarray((membership.T @ probabilities.T).T)
            stop = first[start + SCORE_BATCH] if start + SCORE_BATCH < len(first) else len(mine)
            pair_rows = np.arange(batch[0], stop)
            request_in_batch = requests[pair_rows] - requests[batch[0]]
            row_of_request = np.cumsum(has_history) - 1  # its row among the scored sequences
            scored = has_history[request_in_batch]
            rows, done = row_of_request[request_in_batch[scored]], pair_rows[scored]
            values[done] = set_probability[rows, set_column[done]]
        found = ~np.isnan(values)
        parts.append(mine[found].assign(sasrec_offer_probability=values[found]))
        echo(
            f"[sasrec feature] anchor {anchor}: {found.sum():,} of {len(mine):,} (customer, product set, date) "
            f"probabilities in {time.perf_counter() - started:.1f} s"
        )
    if not parts:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    return pd.concat(parts, ignore_index=True)[OUTPUT_COLUMNS]
