"""The candidate pools' names, declared once in dbt_project.yml (var pool_names): int_pool_dates
makes the pools, SQL names them through the pool_name macro, Python through this module."""

from __future__ import annotations

import pandas as pd

from metro_offers.var_settings import project_vars

_NAMES = project_vars()["pool_names"]
SERVING_POOL = _NAMES["serving"]  # as of run_date: what recommendations rank
EVALUATION_POOL = _NAMES["evaluation"]  # as of the evaluation cutoff, labelled by its window
TRAINING_POOL_PREFIX = _NAMES["training_prefix"]  # training_1 .. training_<n>, older windows
VALIDATION_POOL = f"{TRAINING_POOL_PREFIX}1"  # the latest training window validates the choice


def is_training_pool(pool: pd.Series) -> pd.Series:
    return pool.str.startswith(TRAINING_POOL_PREFIX)
