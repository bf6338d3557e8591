"""The off-policy study (logic: metro_offers.bandit.ope_study): replicated logs of the
exploration slice, each judged by replay, IPS, SNIPS and doubly robust for the greedy ranker
and the learning policies as the simulation's first seed left them, against their true values.
On the study schedule (metro_offers.studies). Synthetic data only: empty without the
generator's truth."""

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd

from metro_offers.arrow_tables import typed_table
from metro_offers.bandit.inputs import simulated_world
from metro_offers.bandit.ope_study import LOGGING_POLICY, ope_study
from metro_offers.bandit.settings import policy_settings, simulation_settings, study_key
from metro_offers.bandit.simulation import simulate
from metro_offers.studies import scheduled

COLUMNS = {
    "target_policy": "string",
    "estimator": "string",
    "logging_policy": "string",
    "true_value": "float64",
    "mean_estimate": "float64",
    "relative_bias": "float64",
    "relative_rmse": "float64",
    "share_within_10pct": "float64",
    "interval_coverage": "float64",
    "mean_interval_width": "float64",
    "mean_rows_used": "float64",
    "replicates": "int64",
    "log_rows": "int64",
}


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")

    def study() -> dict:
        world = simulated_world(
            dbt.ref("stg_metro__orders"),
            dbt.ref("ranker_scores"),
            dbt.ref("stg_metro__customers"),
            dbt.ref("stg_metro__offers"),
            meta,
        )
        if world is None:
            return {"estimates": pd.DataFrame(columns=list(COLUMNS))}
        policies, settings = policy_settings(meta), simulation_settings(meta)
        # the targets as the simulation's first seed leaves them (rerun here: a few seconds)
        first_seed = dataclasses.replace(settings, simulation_seeds=1)
        targets = [name for name in meta["bandit_simulation_policies"].split(",") if name != LOGGING_POLICY]
        _, trained = simulate(world, dt.date.fromisoformat(meta["run_date"]), policies, first_seed, targets)
        return {"estimates": ope_study(world, trained, settings, policies.seed)}

    estimates = scheduled(Path(meta["model_store_dir"]), "bandit_ope", study_key(meta), study)["estimates"]
    return typed_table(estimates, COLUMNS)
