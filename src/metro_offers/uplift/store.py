"""The uplift learners' store: one folder per evaluation cutoff, <model_store_dir>/uplift/<cutoff>/,
with every learner's LightGBM text files and meta.json (settings, training window, the
landing's fingerprint, rows, the shown share, each booster's rounds, why it was trained).
A build reuses the folder of its cutoff until the settings or the landing change
(metro_offers.anchors.retrain_reason), so daily builds do not retrain."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pandas as pd

from metro_offers.anchors import anchor_dir, prune, replace_dir, retrain_reason
from metro_offers.ranking.registry import data_fingerprint, live_entry
from metro_offers.studies import study_key
from metro_offers.uplift.learners import LEARNERS, UpliftLearner, UpliftSettings

KIND = "uplift"
CHECK_FILE = "x_learner.effect_control.txt"  # written last of the learners' files
META_FORMAT = 2  # what meta.json holds (2: validation Qini); another retrains

# a learner's predictions, as uplift_scores (impressions) and uplift_serving_scores (candidates) write them
PREDICTION_COLUMNS = {"learner": "string", "p_if_shown": "float64", "p_if_not_shown": "float64", "uplift": "float64"}

REGISTRY_COLUMNS = {
    "model_version": "string",
    "learner": "string",
    "trained_at": "string",
    "cutoff": "string",
    "training_window_start": "string",
    "training_window_end": "string",
    "validation_start": "string",
    "training_rows": "int64",
    "training_shown_rows": "int64",
    "training_outcomes": "int64",
    "shown_share": "float64",
    "validation_rows": "int64",
    "validation_qini": "float64",
    "is_serving": "bool",
    "rounds": "string",
    "settings": "string",
    "features": "string",
    "artifact_files": "string",
    "retrain_reason": "string",
    "data_fingerprint": "string",
}


def stored_settings(settings: UpliftSettings, window: dict, features: list[str]) -> dict:
    """Everything whose change retrains: the base learners' settings, the windows, the features."""
    return {**dataclasses.asdict(settings), **window, "features": list(features), "meta_format": META_FORMAT}


def training_reason(store: Path, cutoff: dt.date, settings: dict, files: dict, force: bool) -> str | None:
    return retrain_reason(store, KIND, cutoff, CHECK_FILE, settings, files, force)


def save(store: Path, cutoff: dt.date, learners: dict[str, UpliftLearner], meta: dict, files: dict) -> None:
    folder = anchor_dir(store, KIND, cutoff)

    def write(staging: Path) -> None:
        learner_files = {name: learner.save(staging) for name, learner in learners.items()}
        full = {
            **meta,
            "kind": KIND,
            "cutoff": cutoff.isoformat(),
            "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "landing_files": files,
            "data_fingerprint": data_fingerprint(files),
            "learners": {
                name: {"files": learner_files[name], "rounds": learner.rounds()} for name, learner in learners.items()
            },
        }
        (staging / "meta.json").write_text(json.dumps(full, indent=2))

    replace_dir(folder, write)
    prune(store, KIND, keep={cutoff})


def read_meta(store: Path, cutoff: dt.date) -> dict | None:
    path = anchor_dir(store, KIND, cutoff) / "meta.json"
    return json.loads(path.read_text()) if path.exists() else None


def load_learners(store: Path, cutoff: dt.date) -> tuple[dict[str, UpliftLearner], list[str]]:
    """The learners stored for the cutoff and the features they read (none without a store)."""
    meta = read_meta(store, cutoff)
    if meta is None:
        return {}, []
    folder = anchor_dir(store, KIND, cutoff)
    return {name: LEARNERS[name].load(folder, meta["shown_share"]) for name in meta["learners"]}, meta["features"]


def registered_learners(store: Path, registry: pd.DataFrame) -> tuple[dict[str, UpliftLearner], list[str]]:
    """load_learners for the cutoff of uplift_training's registry rows."""
    return load_learners(store, dt.date.fromisoformat(registry.cutoff.iloc[0]))


def serving_name(registry: pd.DataFrame) -> str:
    """The learner uplift_training's registry marks is_serving."""
    return registry.learner[registry.is_serving].iloc[0]


def registry_frame(store: Path, cutoff: dt.date, serving: str) -> pd.DataFrame:
    """One row per stored learner of the cutoff (none when uplift was not estimated);
    ``serving``: the learner campaign_targeting uses."""
    meta = read_meta(store, cutoff)
    rows = []
    for name, learner in (meta or {}).get("learners", {}).items():
        rows.append(
            {
                "model_version": f"{meta['cutoff'].replace('-', '')}-{meta['data_fingerprint'][:8]}-{name}",
                "learner": name,
                "trained_at": meta["trained_at"],
                "cutoff": meta["cutoff"],
                "training_window_start": meta["training_window_start"],
                "training_window_end": meta["training_window_end"],
                "validation_start": meta["validation_start"],
                "training_rows": meta["training_rows"],
                "training_shown_rows": meta["training_shown_rows"],
                "training_outcomes": meta["training_outcomes"],
                "shown_share": meta["shown_share"],
                "validation_rows": meta["validation_rows"],
                "validation_qini": meta["validation_qini"].get(name, float("nan")),
                "is_serving": name == serving,
                "rounds": json.dumps(learner["rounds"]),
                "settings": json.dumps(meta["settings"]),
                "features": json.dumps(meta["features"]),
                "artifact_files": json.dumps(learner["files"]),
                "retrain_reason": meta["reason"],
                "data_fingerprint": meta["data_fingerprint"],
            }
        )
    return pd.DataFrame(rows, columns=list(REGISTRY_COLUMNS))


def study_parts(registry: pd.DataFrame) -> dict:
    """What the uplift studies' keys (metro_offers.studies) hold of the learners judged: their
    version (one per cutoff) and which one serves."""
    return {"uplift_model_version": str(registry.model_version.iloc[0]), "serving_learner": serving_name(registry)}


HARNESS_STUDY = "uplift_harness"  # uplift_metrics computes it (metrics and Qini curves), uplift_curves reads it


def harness_key(meta: dict, registry: pd.DataFrame, model_store: Path) -> dict:
    """The harness's study key: the learners, the live ranker (its top-k lists are scored)
    and the evaluation settings."""
    ranker = live_entry(model_store)
    return study_key(
        meta,
        **study_parts(registry),
        ranker_model_version=ranker["model_version"] if ranker else None,
        settings={
            name: int(meta[name]) for name in ("k", "bootstrap_samples", "seed", "uplift_evaluation_impressions")
        },
    )
