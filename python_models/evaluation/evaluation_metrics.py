"""Offline evaluation of the live ranker's training procedure against baselines and the
oracle, as of the evaluation cutoff (logic: metro_offers.evaluation)."""

from pathlib import Path

from metro_offers.evaluation import evaluation_settings, offline_evaluation


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    dbt.ref("ranker_training")  # evaluate the model version this build registered or kept
    examples = dbt.ref("pool_examples")
    external = dbt.ref("int_evaluation_external_scores").df()
    truth = Path(meta["truth_root"])
    return offline_evaluation(
        load_inputs=examples.df,
        store=Path(meta["model_store_dir"]),
        truth_dir=truth if truth.exists() else None,
        settings=evaluation_settings(meta),
        external=external,
    )
