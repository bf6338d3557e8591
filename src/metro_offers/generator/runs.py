"""Generating a history and appending a day to it: the world's steps in order, written to
the landing zone (landing.py) with the state the next appended day needs (the events
decided for days not generated yet)."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from metro_offers.generator.config import GeneratorConfig
from metro_offers.generator.exposure import plan_campaigns
from metro_offers.generator.outcomes import calibrate
from metro_offers.generator.world import ChunkDraws, Run, concat_dicts
from metro_offers.landing import landing_batch_name, read_manifest, write_dataset, write_table

PENDING_EVENTS = Path("state") / "pending_events.parquet"
# Customers per chunk: what a chunk holds in memory grows with it (about 1 GB per 10,000
# customers at the default rates), the data does not depend on it.
DEFAULT_CHUNK_CUSTOMERS = 32_768


def _save_state(pending: dict, out_dir: Path, manifest: dict) -> None:
    """What appending the next day needs beyond the seed and the calibration: the
    redemptions / control purchases already decided for days not generated yet."""
    path = out_dir / PENDING_EVENTS
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(pending).to_parquet(path)
    (out_dir / "raw" / "_manifest.json").write_text(json.dumps(manifest, indent=2))


def generate(
    config: GeneratorConfig, out_dir: Path, echo=print, chunk_customers: int = DEFAULT_CHUNK_CUSTOMERS
) -> dict:
    """Generate the data set and write it, chunk_customers customers at a time (the data is
    the same whatever the chunk size); returns the manifest (also saved as JSON)."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    for sub in ("raw", "truth"):  # a new history replaces the old landing zone entirely
        folder = out_dir / sub
        if folder.exists():
            for old in folder.glob("*/*.parquet"):
                old.unlink()
    run = Run(config, echo=echo)
    population = run.population()
    batch = landing_batch_name(config.end_date, "history")
    write_dataset(population.tables(), out_dir, batch)
    counts = {name: len(frame) for name, frame in population.tables().items()}
    campaigns = plan_campaigns(population, range(config.days))
    chunks = run.chunks(chunk_customers)
    (out_dir / "state").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chunks-", dir=out_dir / "state") as spill:
        # pass 1: each chunk's draws, kept on disk; the shown impressions' logits for the calibration
        shown_organic, shown_response, kept = [], [], None
        for number, customers in enumerate(chunks):
            draws = run.history_draws(population, campaigns, customers)
            shown = ~draws.impressions.is_control
            lines_drawn = len(draws.lines.order_idx)
            shown_organic.append(draws.impression_logits[0][shown])
            shown_response.append(draws.impression_logits[1][shown])
            if len(chunks) == 1:
                kept = draws
            else:
                draws.save(Path(spill) / f"chunk{number:04d}.npz")
            del draws
            run.progress.done(f"chunk {number + 1}/{len(chunks)}: basket lines", lines_drawn)
        calibration = calibrate(config, np.concatenate(shown_organic), np.concatenate(shown_response))
        shown_count = sum(len(logits) for logits in shown_organic)
        del shown_organic, shown_response
        # pass 2: outcomes, the chunk's tables and truth written
        pending = []
        for number, customers in enumerate(chunks):
            draws = kept if kept is not None else ChunkDraws.load(Path(spill) / f"chunk{number:04d}.npz")
            facts = run.history_facts(population, draws, calibration, customers)
            write_dataset(facts.tables, out_dir, batch, part=number)
            truth_path = out_dir / "truth" / "offer_truth" / f"{batch}_part{number:04d}.parquet"
            write_table(facts.truth, "offer_truth", truth_path)
            for name, frame in {**facts.tables, "offer_truth": facts.truth}.items():
                counts[name] = counts.get(name, 0) + len(frame)
            pending.append(facts.pending)
            rows_written = sum(len(frame) for frame in facts.tables.values())
            del draws, facts
            kept = None
            run.progress.done(f"chunk {number + 1}/{len(chunks)}: rows written", rows_written)
    manifest = {
        "config": {k: str(v) if isinstance(v, dt.date) else v for k, v in asdict(config).items()},
        "history_start": str(config.start_date),
        "history_end": str(config.end_date),
        "default_run_date": str(config.end_date + dt.timedelta(days=1)),
        "days_appended": [],
        "row_counts": counts,
        "observed_conversion_rate": (counts["redemptions"] / shown_count) if shown_count else None,
        "calibration": calibration,
        "seconds": round(time.perf_counter() - started, 2),
    }
    _save_state(concat_dicts(pending), out_dir, manifest)
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
    raw = out_dir / "raw"

    def landed_history(customer_idx: np.ndarray) -> pd.DataFrame:
        """The purchase history as landed of these customers (the day's audiences)."""
        with duckdb.connect() as con:
            con.register("audience", pd.DataFrame({"customer_id": customer_idx.astype(np.int64) + 1}))
            return con.sql(
                f"""
                select o.customer_id - 1 as c, i.product_id - 1 as p,
                       date_diff('day', date '{config.start_date}', o.order_date) as d
                from read_parquet('{raw}/order_items/*.parquet') as i
                join read_parquet('{raw}/orders/*.parquet') as o using (order_id)
                semi join audience using (customer_id)
                -- rows the warehouse quarantines (unknown keys) are no purchase history
                where i.product_id between 1 and {config.products}
                  and o.customer_id between 1 and {config.customers}
                  and i.quantity > 0
                """
            ).df()

    pending = pd.read_parquet(out_dir / PENDING_EVENTS)
    facts = run.day(
        (day - config.start_date).days,
        landed_history,
        manifest["calibration"],
        {column: pending[column].to_numpy() for column in pending.columns},
    )
    write_dataset(facts.tables, out_dir, landing_batch_name(day, "day"))
    for name, frame in facts.tables.items():
        manifest["row_counts"][name] += len(frame)
    manifest["history_end"] = str(day)
    manifest["default_run_date"] = str(day + dt.timedelta(days=1))
    manifest["days_appended"].append(str(day))
    manifest.pop("state", None)  # the id counters of data sets generated before ids were keys
    _save_state(facts.pending, out_dir, manifest)
    echo(f"[append] {day} landed in {time.perf_counter() - started:.1f} s")
    return manifest
