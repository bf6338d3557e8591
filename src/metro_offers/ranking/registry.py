"""The model store: one folder per trained model (its artifact and drift reference) and
``registry.jsonl``, one line per model with what it learned from (pools, windows, the
landing's fingerprint and row counts), every ranker's validation scores and the choice.

Provenance: a model remembers the landed files it learned from (path and size). A build
whose landing lost or changed any of them (a regenerated or different data set) retrains;
a landing that only grew (daily files added) keeps the model.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from metro_offers.ranking.rankers import RANKERS, Ranker


@dataclass
class RegistryEntry:
    model_version: str
    trained_at: str
    run_date: str
    training_pools: list[str]
    training_window_start: str  # the first pool's as-of date
    training_window_end: str  # the last label window's end (exclusive)
    training_rows: int
    training_positives: int
    validation_rows: int
    features: list[str]  # what the chosen ranker reads
    feature_schema: list[str]  # every feature the learned rankers were offered
    rankers: list[str]  # every ranker selection compared (RANKERS when it was trained)
    parameters: dict
    training_history: dict[str, list[dict]]  # per iterative ranker: epoch, train_loss, valid_loss, valid_ndcg_at_10
    validation: list[dict]  # every ranker on the validation pool: method, learned, ndcg_at_10, auc
    chosen_model: str
    chosen_is_learned: bool
    best_baseline: str
    validation_ndcg_chosen: float
    validation_ndcg_best_baseline: float
    calibration: dict
    artifact_path: str
    retrain_reason: str
    data_fingerprint: str
    landing_files: dict[str, int]
    landing_row_counts: dict[str, int]


def read_registry(store: Path) -> list[dict]:
    path = Path(store) / "registry.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def append_entry(store: Path, entry: RegistryEntry) -> None:
    with (Path(store) / "registry.jsonl").open("a") as registry:
        registry.write(json.dumps(asdict(entry)) + "\n")


def live_entry(store: Path) -> dict | None:
    entries = read_registry(store)
    return entries[-1] if entries else None


def load_model(entry: dict) -> Ranker:
    return RANKERS[entry["chosen_model"]].load(Path(entry["artifact_path"]))


def model_from_bytes(chosen_model: str, data: bytes) -> Ranker:
    """A registered model from its artifact's bytes (the serving snapshot carries them)."""
    return RANKERS[chosen_model].from_bytes(bytes(data))


def model_version(run_date, store: Path, *parts) -> str:
    registered = len(read_registry(store))  # a retrain on the same day gets a new version
    digest = hashlib.sha256("|".join(map(str, (run_date, registered, *parts))).encode()).hexdigest()[:8]
    return f"{run_date:%Y%m%d}-{digest}"


# ---------------------------------------------------------------- provenance
def landing_files(raw_root: Path) -> dict[str, int]:
    """Every landed Parquet file (path relative to the landing zone) and its size in bytes."""
    raw_root = Path(raw_root)
    return {str(p.relative_to(raw_root)): p.stat().st_size for p in sorted(raw_root.glob("*/*.parquet"))}


def data_fingerprint(files: dict[str, int]) -> str:
    return hashlib.sha256(json.dumps(sorted(files.items())).encode()).hexdigest()[:16]


def landing_row_counts(raw_root: Path) -> dict[str, int]:
    """Row counts per table from the landing's manifest (empty when it has none)."""
    manifest = Path(raw_root) / "_manifest.json"
    return json.loads(manifest.read_text()).get("row_counts", {}) if manifest.exists() else {}


def landing_change(entry: dict, files: dict[str, int]) -> str | None:
    """Why the landing is not the one the model learned from (files it read are gone or
    changed), or None when it only grew."""
    learned = entry.get("landing_files") or {}
    gone = [f for f in learned if f not in files]
    changed = [f for f, size in learned.items() if f in files and files[f] != size]
    if not gone and not changed:
        return None
    example = (gone or changed)[0]
    return (
        f"landing changed: {len(gone)} files the model learned from are gone, {len(changed)} changed (e.g. {example})"
    )


def retrain_reason(
    store: Path,
    force: bool,
    drift: pd.DataFrame | None = None,
    files: dict[str, int] | None = None,
    feature_schema: list[str] | None = None,
) -> str | None:
    """Why a build must train (asked to, no model registered, a different landing or feature
    schema, drift), or None to reuse the registered model."""
    if force:
        return "forced by var force_retrain"
    entry = live_entry(store)
    if entry is None:
        return "no registered model"
    if "calibration" not in entry:
        return "the registered model predates champion/challenger selection (an older model store)"
    if files is not None and (change := landing_change(entry, files)):
        return change
    if feature_schema is not None and entry.get("feature_schema") != list(feature_schema):
        learned = entry.get("feature_schema") or []
        added = sorted(set(feature_schema) - set(learned))
        removed = sorted(set(learned) - set(feature_schema))
        return f"the ranker features changed (new: {', '.join(added) or 'none'}; gone: {', '.join(removed) or 'none'})"
    if set(entry.get("rankers") or []) != set(RANKERS):
        added = sorted(set(RANKERS) - set(entry.get("rankers") or []))
        removed = sorted(set(entry.get("rankers") or []) - set(RANKERS))
        return f"the rankers changed (new: {', '.join(added) or 'none'}; gone: {', '.join(removed) or 'none'})"
    if drift is not None and len(drift) and bool(drift["retrain_recommended"].any()):
        alerts = sorted(drift.loc[drift.severity == "alert", "feature"])
        return f"drift: {len(alerts)} features at alert ({', '.join(alerts)})"
    return None


def live_reference(store: Path) -> tuple[dict | None, str | None]:
    """The live model's drift reference and version (None, None without one)."""
    entry = live_entry(store)
    if entry is None:
        return None, None
    path = Path(entry["artifact_path"]).parent / "reference.json"
    return json.loads(path.read_text()), entry["model_version"]


# ---------------------------------------------------------------- tables
def registry_frame(store: Path) -> pd.DataFrame:
    """The registry as a flat frame (lists and dicts as JSON text)."""
    frame = pd.DataFrame(read_registry(store), columns=list(RegistryEntry.__dataclass_fields__))
    for column in (
        "training_pools",
        "features",
        "feature_schema",
        "rankers",
        "parameters",
        "training_history",
        "validation",
        "calibration",
        "landing_row_counts",
    ):
        # entries of an older model store lack some fields: null, not the text "NaN"
        frame[column] = pd.Series(
            [json.dumps(value) if isinstance(value, list | dict) else None for value in frame[column]],
            index=frame.index,
            dtype=object,
        )
    # before baselines competed, every registered model was a learned ranker
    frame["chosen_is_learned"] = frame["chosen_is_learned"].astype("boolean").fillna(True).astype(bool)
    return frame.drop(columns=["landing_files"])


def feature_importance(store: Path) -> pd.DataFrame:
    """The live model's importance per feature and its share of the total."""
    columns = ["model_version", "chosen_model", "feature", "importance", "importance_share"]
    entry = live_entry(store)
    if entry is None:
        return pd.DataFrame(columns=columns)
    importance = load_model(entry).importance().fillna(0.0)
    total = importance.sum()
    return pd.DataFrame(
        {
            "model_version": entry["model_version"],
            "chosen_model": entry["chosen_model"],
            "feature": importance.index,
            "importance": importance.to_numpy(dtype=float),
            "importance_share": (importance / total if total > 0 else importance * 0).to_numpy(dtype=float),
        }
    )
