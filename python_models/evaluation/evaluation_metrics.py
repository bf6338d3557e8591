"""Offline evaluation of the live ranker's training procedure against baselines and the
oracle, as of the evaluation cutoff (logic: metro_offers.evaluation)."""

from pathlib import Path

from metro_offers.evaluation import evaluation_settings, offline_evaluation
from metro_offers.ranking.data import sample_evaluation_lists, sample_training_lists


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    dbt.ref("ranker_training")  # evaluate the model version this build registered or kept
    settings = evaluation_settings(meta)
    # the training pools sampled as the live ranker's training samples them; the evaluation
    # pool's full lists, of a fixed sample of customers when it holds more than the setting
    examples = sample_training_lists(dbt.ref("pool_examples"), settings["max_lists_per_pool"])
    examples = sample_evaluation_lists(examples, settings["max_evaluation_customers"])
    external = dbt.ref("int_evaluation_external_scores").df()
    truth = Path(meta["truth_root"])
    return offline_evaluation(
        load_inputs=examples.df,
        store=Path(meta["model_store_dir"]),
        truth_dir=truth if truth.exists() else None,
        settings=settings,
        external=external,
    )
