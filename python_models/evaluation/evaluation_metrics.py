"""Offline evaluation of the live ranker's training procedure against baselines and the
oracle, as of the evaluation cutoff (logic: metro_offers.evaluation)."""

import datetime as dt
from pathlib import Path

from metro_offers.evaluation import offline_evaluation
from metro_offers.ranking import EXAMPLE_COLUMNS


def model(dbt, session):
    dbt.config(materialized="table")
    settings = dbt.config.get("meta")
    dbt.ref("ranker_scores")  # evaluate the model version this build registered or reused
    candidates = dbt.ref("int_evaluation_candidates")
    examples = dbt.ref("training_examples").filter("split in ('train', 'evaluation')")
    examples = examples.project(", ".join(EXAMPLE_COLUMNS))
    truth = Path(settings["truth_root"])
    run_date = dt.date.fromisoformat(settings["run_date"])
    cutoff = run_date - dt.timedelta(days=int(settings["evaluation_holdout_days"]))
    return offline_evaluation(
        load_inputs=lambda: (candidates.df(), examples.df()),
        store=Path(settings["model_store_dir"]),
        truth_dir=truth if truth.exists() else None,
        run_date=str(run_date),
        cutoff=str(cutoff),
        k=int(settings["k"]),
        bootstrap_samples=int(settings["bootstrap_samples"]),
        seed=int(settings["seed"]),
    )
