"""Evaluations and studies on a schedule (var study_every_days).

The offline evaluation, the uplift and next-basket harnesses and the bandit simulation and
off-policy study judge models; they serve no customer, so a nightly build need not repeat
them. Each keeps its latest result in <model_store_dir>/studies/<name>/ with the key it was
computed for: the study period (the latest date on a grid of study_every_days days at or
before run_date, as metro_offers.anchors.anchor_date), the versions of the models it judges
and its settings. A build whose key matches reuses the stored result; the first build of a
new period, a new model version or other settings computes it again. The result keeps the
run date and cutoff it was computed at (the marts show them). study_every_days 1 computes at
every build.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from metro_offers.anchors import anchor_date, replace_dir

STUDIES_DIR = "studies"
KEY_FILE = "key.json"  # written last: a folder without it holds no finished result


def study_period(run_date: dt.date | str, every_days: int | str) -> str:
    """The first day of the study period that ``run_date`` falls in."""
    if isinstance(run_date, str):
        run_date = dt.date.fromisoformat(run_date)
    return anchor_date(run_date, int(every_days)).isoformat()


def study_key(meta: dict, **parts) -> dict:
    """A study's key from its dbt Python model's meta (run_date, study_every_days) and the
    model versions and settings it depends on (JSON-serialisable values)."""
    return {"study_period": study_period(meta["run_date"], meta["study_every_days"]), **parts}


def stored_result(store: Path, name: str, key: dict) -> dict[str, pd.DataFrame] | None:
    """The frames stored for ``key``, or None when the stored result has another key or none."""
    folder = Path(store) / STUDIES_DIR / name
    key_file = folder / KEY_FILE
    if not key_file.exists():
        return None
    stored = json.loads(key_file.read_text())
    if stored["key"] != json.loads(json.dumps(key)):
        return None
    return {frame: pd.read_parquet(folder / f"{frame}.parquet") for frame in stored["frames"]}


def scheduled(
    store: Path,
    name: str,
    key: dict,
    compute: Callable[[], dict[str, pd.DataFrame]],
    echo=print,
) -> dict[str, pd.DataFrame]:
    """The study ``name``'s frames for ``key``: stored, or computed by ``compute()`` and stored
    in place of the previous result (a crash midway leaves the old one or none)."""
    reused = stored_result(store, name, key)
    if reused is not None:
        echo(f"[study] {name}: reusing the result of this period ({key['study_period']} on), same models and settings")
        return reused
    frames = compute()

    def write(staging: Path) -> None:
        for frame, table in frames.items():
            table.to_parquet(staging / f"{frame}.parquet", index=False)
        record = {
            "key": key,
            "frames": list(frames),
            "computed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        (staging / KEY_FILE).write_text(json.dumps(record, indent=2))

    replace_dir(Path(store) / STUDIES_DIR / name, write)
    return frames
