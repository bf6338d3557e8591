"""Anchor dates: the models a point-in-time feature needs (Item2Vec, SASRec's offer
probability), one per date on a grid, each trained on the data strictly before its anchor.

An as-of date uses the model of its anchor, the latest grid date at or before it, so no model
sees a labelled window it is judged on, and a daily run reuses the anchors it finds until the
grid moves past one. Each kind of model keeps its anchors in <model_store_dir>/<kind>/<anchor>/.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from metro_offers.ranking.registry import landing_change

GRID_START = dt.date(1970, 1, 5)  # a Monday: anchors fall on Mondays when the spacing is whole weeks


def anchor_date(as_of: dt.date, spacing_days: int) -> dt.date:
    """The latest grid date at or before ``as_of``."""
    if spacing_days < 1:
        raise ValueError(f"an anchor spacing must be at least 1 day, got {spacing_days}")
    offset = (as_of - GRID_START).days
    return GRID_START + dt.timedelta(days=offset - offset % spacing_days)


def anchor_dir(store: Path, kind: str, anchor: dt.date) -> Path:
    return Path(store) / kind / anchor.isoformat()


def retrain_reason(
    store: Path, kind: str, anchor: dt.date, artifact: str, settings: dict, files: dict, force: bool
) -> str | None:
    """Why the anchor's model of ``kind`` must be trained, or None to reuse the stored one:
    forced, no stored ``artifact`` with its meta.json, other settings than the stored ones, or
    a landing that lost or changed a file the model read (not one that only grew)."""
    if force:
        return "forced by var force_retrain"
    folder = anchor_dir(store, kind, anchor)
    if not (folder / "meta.json").exists() or not (folder / artifact).exists():
        return "no stored model"
    meta = json.loads((folder / "meta.json").read_text())
    if meta.get("settings") != settings:
        return f"the {kind} settings changed"
    return landing_change(meta, files)


def replace_dir(folder: Path, write) -> None:
    """Fill a fresh staging folder with ``write(staging)``, then put it in place of ``folder``
    (a crash midway leaves the old folder or none, never a half-written one)."""
    staging = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    write(staging)
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)


def prune(store: Path, kind: str, keep: set[dt.date]) -> None:
    """Remove the stored anchors of ``kind`` no build needs any more."""
    root = Path(store) / kind
    if not root.exists():
        return
    for folder in root.iterdir():
        if folder.is_dir() and folder.name not in {a.isoformat() for a in keep}:
            shutil.rmtree(folder)
