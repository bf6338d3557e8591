"""Trains the uplift learners (S-, T-, X-learner) on uplift_examples' train split (a fixed
sample of about var uplift_training_impressions impressions when it is larger) when the
build needs them - none stored for this evaluation cutoff, other settings, a landing that lost
or changed a file, or var force_retrain - and returns their registry rows (logic:
metro_offers.uplift.training and .store). Without a randomised control group (The Complete
Journey) nothing is trained and the registry is empty; the build log says why."""

import datetime as dt
from pathlib import Path

from metro_offers.anchors import anchor_date
from metro_offers.arrow_tables import typed_table
from metro_offers.hash_sample import hash_sample
from metro_offers.ranking.features import ranker_features
from metro_offers.ranking.registry import landing_files
from metro_offers.uplift import store
from metro_offers.uplift.learners import UpliftSettings
from metro_offers.uplift.training import missing_arm, serving_learner, train
from metro_offers.var_settings import settings_from_vars


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    model_store = Path(meta["model_store_dir"])
    evaluation_cutoff = dt.date.fromisoformat(meta["run_date"]) - dt.timedelta(
        days=int(meta["evaluation_holdout_days"])
    )
    cutoff = anchor_date(evaluation_cutoff, int(meta["uplift_every_days"]))  # as macro uplift_cutoff
    settings = settings_from_vars(UpliftSettings, "uplift", meta)
    # read whole only when training: a build that reuses the stored learners needs the arms only
    train_rows = hash_sample(
        dbt.ref("uplift_examples").filter("split = 'train'"), int(meta["uplift_training_impressions"]), "impression_id"
    )
    reason = missing_arm(train_rows.project("shown").df())
    if reason:
        if meta["recommendation_objective"] == "incremental_margin":
            raise ValueError(f"var recommendation_objective is incremental_margin, but {reason}")
        print(f"[uplift] {reason}")
        return typed_table(None, store.REGISTRY_COLUMNS)
    window = {
        "training_days": int(meta["uplift_training_days"]),
        "validation_days": int(meta["uplift_validation_days"]),
        "label_window_days": int(meta["label_window_days"]),
        "training_impressions": int(meta["uplift_training_impressions"]),
    }
    stored = store.stored_settings(settings, window, list(ranker_features(train_rows.columns)))
    files = landing_files(Path(meta["raw_root"]))
    force = str(meta["force_retrain"]).lower() == "true"
    reason = store.training_reason(model_store, cutoff, stored, files, force)
    if reason:
        print(f"[uplift] training for the cutoff {cutoff}: {reason}")
        learners, learned = train(train_rows.df(), cutoff, window["validation_days"], settings)
        store.save(model_store, cutoff, learners, {**learned, "settings": stored, "reason": reason}, files)
    else:
        print(f"[uplift] reusing the learners stored for the cutoff {cutoff}")
    serving = serving_learner(meta["uplift_serving_learner"], store.read_meta(model_store, cutoff)["validation_qini"])
    print(f"[uplift] serving the {serving} (var uplift_serving_learner: {meta['uplift_serving_learner']})")
    return typed_table(store.registry_frame(model_store, cutoff, serving), store.REGISTRY_COLUMNS)
