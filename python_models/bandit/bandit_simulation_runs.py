"""The closed-loop simulation (logic: metro_offers.bandit.simulation): from run_date, for var
bandit_simulation_days days and var bandit_simulation_seeds seeds, every policy chooses one
serving candidate per visiting customer and the truth decides the outcome. On the study
schedule (metro_offers.studies): builds of the same period reuse the first one's run.
Synthetic data only: empty without the generator's truth."""

import datetime as dt
from pathlib import Path

import pandas as pd

from metro_offers.arrow_tables import typed_table
from metro_offers.bandit.inputs import simulated_world
from metro_offers.bandit.settings import policy_settings, simulation_settings, study_key
from metro_offers.bandit.simulation import simulate
from metro_offers.studies import scheduled

COLUMNS = {
    "policy": "string",
    "seed": "int64",
    "day": "int64",
    "simulation_date": "date",
    "visitors": "int64",
    "shown": "int64",
    "redemptions": "int64",
    "expected_redemptions": "float64",
    "control_visitors": "int64",
    "control_buyers": "int64",
    "true_incremental": "float64",
    "regret": "float64",
}


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")

    def run() -> dict:
        world = simulated_world(
            dbt.ref("stg_metro__orders"),
            dbt.ref("ranker_scores"),
            dbt.ref("stg_metro__customers"),
            dbt.ref("stg_metro__offers"),
            meta,
        )
        if world is None:
            return {"days": pd.DataFrame(columns=list(COLUMNS))}
        start = dt.date.fromisoformat(meta["run_date"])
        policies = meta["bandit_simulation_policies"].split(",")
        days, _ = simulate(world, start, policy_settings(meta), simulation_settings(meta), policies)
        return {"days": days.assign(simulation_date=days.simulation_date.dt.date)}

    days = scheduled(Path(meta["model_store_dir"]), "bandit_simulation", study_key(meta), run)["days"]
    return typed_table(days, COLUMNS)
