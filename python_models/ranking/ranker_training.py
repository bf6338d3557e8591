"""Trains and registers the live ranker when the build needs one - no model registered, a
different landing than the live model learned from, feature_drift recommends it, or var
force_retrain - choosing among the baselines and the learned rankers on the validation pool
(logic: metro_offers.ranking.training). Returns the model registry as a table; scoring reads
the registered artifact downstream (ranker_scores)."""

import datetime as dt
from pathlib import Path

from metro_offers.pools import SERVING_POOL
from metro_offers.ranking.data import sample_training_lists
from metro_offers.ranking.features import POOL_KEY_COLUMNS, POOL_LABEL_COLUMNS, ranker_features
from metro_offers.ranking.registry import landing_files, registry_frame, retrain_reason
from metro_offers.ranking.scoring import candidate_sample
from metro_offers.ranking.training import train_live_ranker


def model(dbt, session):
    dbt.config(materialized="table")
    settings = dbt.config.get("meta")
    store, raw_root = Path(settings["model_store_dir"]), Path(settings["raw_root"])
    store.mkdir(parents=True, exist_ok=True)
    examples = sample_training_lists(dbt.ref("pool_examples"), int(settings["ranker_max_lists_per_pool"]))
    reason = retrain_reason(
        store,
        force=str(settings["force_retrain"]).lower() == "true",
        drift=dbt.ref("feature_drift").df(),
        files=landing_files(raw_root),
        feature_schema=list(ranker_features(examples.columns)),
    )
    candidates = dbt.ref("candidate_features").filter(f"pool = '{SERVING_POOL}'")
    if reason:
        print(f"[ranker] training: {reason}")
        features = ranker_features(examples.columns)
        columns = [*POOL_KEY_COLUMNS, "as_of_date", "label_window_end", *POOL_LABEL_COLUMNS, *features]
        reference = candidate_sample(
            candidates.project(", ".join(["customer_id", "offer_id", *features])), int(settings["drift_sample_rows"])
        )
        train_live_ranker(
            examples=examples.project(", ".join(dict.fromkeys(columns))).df(),
            reference_candidates=reference,
            run_date=dt.date.fromisoformat(settings["run_date"]),
            store=store,
            reason=reason,
            raw_root=raw_root,
            reference_bins=int(settings["psi_bins"]),
        )
    return registry_frame(store)
