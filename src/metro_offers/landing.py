"""The landing zone's files: raw tables as Parquet batches under ``<data>/raw/<table>/``
(the raw contract's schema, written atomically), batch names that sort in landing order, and
the manifest. Shared by the synthetic generator and the Complete Journey adapter."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from metro_offers.raw_contract import arrow_schema


def landing_batch_name(last_day: dt.date, kind: str) -> str:
    """File stem of a landed batch. Names sort in landing order (the last day they cover
    first), and staging keeps the copy from the latest name when a key lands twice."""
    return f"landed_{last_day}_{kind}"


def write_table(frame: pd.DataFrame, table: str, path: Path) -> None:
    """Write atomically (temp file, then rename) with the contract's schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(
        pa.Table.from_pandas(frame, schema=arrow_schema(table), preserve_index=False), tmp, compression="zstd"
    )
    tmp.replace(path)


def write_dataset(tables: dict[str, pd.DataFrame], out_dir: Path, batch_name: str, part: int | None = None) -> None:
    """Write each raw table as ``<out>/raw/<table>/<batch>.parquet`` (``<batch>_part<nnnn>``
    for one part of a batch written in parts): a later day lands as a new file beside the old ones."""
    stem = batch_name if part is None else f"{batch_name}_part{part:04d}"
    for name, frame in tables.items():
        write_table(frame, name, out_dir / "raw" / name / f"{stem}.parquet")


def read_manifest(data_dir: Path) -> dict:
    path = Path(data_dir) / "raw" / "_manifest.json"
    if not path.exists():
        raise FileNotFoundError(f"no landing zone at {path.parent}: run `metro-offers generate` first")
    return json.loads(path.read_text())
