"""Generating a history and appending a day to it: the world's steps in order, written to
the landing zone (landing.py) with the state the next appended day needs."""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import asdict
from pathlib import Path

import duckdb
import pandas as pd

from metro_offers.generator.config import GeneratorConfig
from metro_offers.generator.outcomes import truth_chunks
from metro_offers.generator.world import Generated, Run
from metro_offers.landing import landing_batch_name, read_manifest, write_dataset, write_table

PENDING_EVENTS = Path("state") / "pending_events.parquet"


def _save_state(generated: Generated, out_dir: Path, manifest: dict) -> None:
    """What appending the next day needs beyond the seed: the next ids, the calibration, and
    the redemptions / control purchases already decided for days not generated yet."""
    state = manifest.setdefault("state", {})
    for key, table, column in (
        ("next_order_id", "orders", "order_id"),
        ("next_impression_id", "impressions", "impression_id"),
        ("next_redemption_id", "redemptions", "redemption_id"),
    ):
        if len(generated.tables[table]):
            state[key] = int(generated.tables[table][column].max()) + 1
        else:
            state.setdefault(key, 1)
    path = out_dir / PENDING_EVENTS
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(generated.outcomes.pending).to_parquet(path)
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
    run = Run(config, echo=echo)
    generated = run.history()
    tables = generated.tables
    batch = landing_batch_name(config.end_date, "history")
    write_dataset(tables, out_dir, batch)
    run.progress.done("raw parquet written")
    counts = {name: len(frame) for name, frame in tables.items()}
    counts["offer_truth"] = 0
    for part, truth in enumerate(truth_chunks(config, generated.truth, generated.outcomes.calibration)):
        write_table(truth, "offer_truth", out_dir / "truth" / "offer_truth" / f"{batch}_part{part:04d}.parquet")
        counts["offer_truth"] += len(truth)
    run.progress.done("truth (hidden) written", counts["offer_truth"])
    shown = int((~tables["impressions"].is_control).sum())
    manifest = {
        "config": {k: str(v) if isinstance(v, dt.date) else v for k, v in asdict(config).items()},
        "history_start": str(config.start_date),
        "history_end": str(config.end_date),
        "default_run_date": str(config.end_date + dt.timedelta(days=1)),
        "days_appended": [],
        "row_counts": counts,
        "observed_conversion_rate": (len(tables["redemptions"]) / shown) if shown else None,
        "calibration": generated.outcomes.calibration,
        "seconds": round(time.perf_counter() - started, 2),
    }
    (out_dir / "raw").mkdir(parents=True, exist_ok=True)
    _save_state(generated, out_dir, manifest)
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
    config = GeneratorConfig(**settings)
    run = Run(config, echo=lambda line: echo(line.replace("[generate]", "[append]")))
    # the purchase history as landed, for bought-before and recency of today's audiences
    with duckdb.connect() as con:
        raw = out_dir / "raw"
        landed_lines = con.sql(
            f"""
            select o.customer_id - 1 as c, i.product_id - 1 as p,
                   date_diff('day', date '{config.start_date}', o.order_date) as d
            from read_parquet('{raw}/order_items/*.parquet') as i
            join read_parquet('{raw}/orders/*.parquet') as o using (order_id)
            -- rows the warehouse quarantines (unknown keys) are no purchase history
            where i.product_id between 1 and {config.products}
              and o.customer_id between 1 and {config.customers}
              and i.quantity > 0
            """
        ).df()
    pending = pd.read_parquet(out_dir / PENDING_EVENTS)
    generated = run.day(
        (day - config.start_date).days,
        landed_lines,
        manifest["calibration"],
        {column: pending[column].to_numpy() for column in pending.columns},
        manifest["state"],
    )
    tables = generated.tables
    write_dataset(tables, out_dir, landing_batch_name(day, "day"))
    for name, frame in tables.items():
        manifest["row_counts"][name] += len(frame)
    manifest["history_end"] = str(day)
    manifest["default_run_date"] = str(day + dt.timedelta(days=1))
    manifest["days_appended"].append(str(day))
    _save_state(generated, out_dir, manifest)
    echo(f"[append] {day} landed in {time.perf_counter() - started:.1f} s")
    return manifest
