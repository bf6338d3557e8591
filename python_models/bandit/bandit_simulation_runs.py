"""The closed-loop simulation (logic: metro_offers.bandit.simulation): from run_date, for var
bandit_simulation_days days and var bandit_simulation_seeds seeds, every policy chooses one
serving candidate per visiting customer and the truth decides the outcome. Synthetic data
only: empty without the generator's truth."""

import datetime as dt

from metro_offers.bandit.inputs import simulated_world
from metro_offers.bandit.settings import policy_settings, simulation_settings
from metro_offers.bandit.simulation import simulate
from metro_offers.uplift.tables import typed_table

COLUMNS = {
    "policy": "string",
    "seed": "int64",
    "day": "int64",
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
    world = simulated_world(
        dbt.ref("stg_metro__orders"),
        dbt.ref("ranker_scores"),
        dbt.ref("stg_metro__customers"),
        dbt.ref("stg_metro__offers"),
        meta,
    )
    if world is None:
        return typed_table(None, COLUMNS)
    start = dt.date.fromisoformat(meta["run_date"])
    policies = meta["bandit_simulation_policies"].split(",")
    days, _ = simulate(world, start, policy_settings(meta), simulation_settings(meta), policies)
    return typed_table(days, COLUMNS)
