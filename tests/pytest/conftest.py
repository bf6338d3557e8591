"""Shared fixtures: small generated data sets, written once per test session."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from metro_offers.generator import GeneratorConfig, generate
from metro_offers.raw_contract import RAW_TABLES, TRUTH_TABLES
from metro_offers.reference import project_root

# One year, so Christmas and Easter both fall inside; small enough for seconds.
YEAR_CONFIG = GeneratorConfig(customers=4_000, products=2_000, offers=120, days=365, end_date=dt.date(2026, 10, 31))


def read_tables(data_dir: Path) -> dict[str, pd.DataFrame]:
    def read(folder: Path) -> pd.DataFrame:
        return pq.read_table(folder).to_pandas(date_as_object=False)

    tables = {name: read(data_dir / "raw" / name) for name in RAW_TABLES}
    tables.update({name: read(data_dir / "truth" / name) for name in TRUTH_TABLES})
    return tables


@pytest.fixture(scope="session")
def year_dataset(tmp_path_factory) -> tuple[GeneratorConfig, dict, dict[str, pd.DataFrame]]:
    out = tmp_path_factory.mktemp("year")
    manifest = generate(YEAR_CONFIG, out, echo=lambda _: None)
    return YEAR_CONFIG, manifest, read_tables(out)


# ---------------------------------------------------------------- the end-to-end layer
CONFIG = GeneratorConfig(customers=800, products=600, offers=60, days=150, end_date=dt.date(2026, 10, 31))
CLI = str(Path(sys.executable).parent / "metro-offers")


def run_cli(*args, warehouse: Path, check=True) -> subprocess.CompletedProcess:
    # each warehouse keeps its rankers beside it, never in the project's own store
    env = {**os.environ, "METRO_WAREHOUSE": str(warehouse), "METRO_MODEL_STORE": str(warehouse.with_suffix(".models"))}
    completed = subprocess.run([CLI, *args], env=env, capture_output=True, text=True, cwd=project_root())
    if check and completed.returncode != 0:
        raise AssertionError(
            f"metro-offers {' '.join(args)} failed:\n{completed.stdout[-4000:]}\n{completed.stderr[-4000:]}"
        )
    return completed


def run_dbt(*args, warehouse: Path, variables: dict, target: Path | None = None) -> subprocess.CompletedProcess:
    """dbt itself (not the CLI) on a warehouse, with the given vars; raises with dbt's log on failure."""
    env = {**os.environ, "METRO_WAREHOUSE": str(warehouse)}
    if target is not None:
        env["DBT_TARGET_PATH"] = str(target)
    command = [str(Path(sys.executable).parent / "dbt"), *args, "--profiles-dir", ".", "--vars", json.dumps(variables)]
    completed = subprocess.run(command, cwd=project_root(), env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{completed.stdout[-4000:]}")
    return completed


def query(warehouse: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql).df()


def land_bad_rows(raw: Path) -> None:
    """A second landing batch with one row breaking each of several staging rules."""
    items = pq.read_table(next((raw / "order_items").glob("*.parquet"))).slice(0, 3).to_pylist()
    duplicate, unknown_product, negative = items
    unknown_product = {**unknown_product, "line_number": 900, "product_id": 999_999}
    negative = {**negative, "line_number": 901, "quantity": -2}
    pq.write_table(
        pa.Table.from_pylist(
            [duplicate, unknown_product, negative], schema=pq.read_schema(next((raw / "order_items").glob("*.parquet")))
        ),
        raw / "order_items" / "landed_2026-11-01_corrections.parquet",
    )
    orders_schema = pq.read_schema(next((raw / "orders").glob("*.parquet")))
    pq.write_table(
        pa.Table.from_pylist(
            [{"order_id": 9_000_000, "customer_id": 999_999, "order_date": dt.date(2026, 10, 1), "store_id": 1}],
            schema=orders_schema,
        ),
        raw / "orders" / "landed_2026-11-01_corrections.parquet",
    )
    pair = pq.read_table(next((raw / "offer_products").glob("*.parquet"))).slice(0, 1).to_pylist()[0]
    pq.write_table(
        pa.Table.from_pylist(
            [
                pair,  # landed again: the history's copy is rejected as a duplicate
                {"offer_id": 999_999, "product_id": pair["product_id"]},
                {"offer_id": pair["offer_id"], "product_id": 999_999},
                {"offer_id": None, "product_id": pair["product_id"]},
            ],
            schema=pq.read_schema(next((raw / "offer_products").glob("*.parquet"))),
        ),
        raw / "offer_products" / "landed_2026-11-01_corrections.parquet",
    )
    redemption = pq.read_table(next((raw / "redemptions").glob("*.parquet"))).slice(0, 1).to_pylist()[0]
    redemption = {**redemption, "redemption_id": 9_000_000, "order_id": 1}
    pq.write_table(
        pa.Table.from_pylist([redemption], schema=pq.read_schema(next((raw / "redemptions").glob("*.parquet")))),
        raw / "redemptions" / "landed_2026-11-01_corrections.parquet",
    )


# SASRec's offer feature on (off by default, see bench/sasrec_feature_ablation.py), so that
# every model of the project runs end to end in the built warehouse; a three-day closed loop
BUILT_VARS = ("--vars", "{sasrec_offer_feature_enabled: true, bandit_simulation_days: 3}")


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The small data set with a few bad rows, built once per session through the CLI (which
    also publishes the serving snapshot beside the warehouse)."""
    root = tmp_path_factory.mktemp("warehouse")
    data, warehouse = root / "data", root / "metro.duckdb"
    manifest = generate(CONFIG, data, echo=lambda _: None)
    land_bad_rows(data / "raw")
    result = run_cli("build", "--data-dir", str(data), *BUILT_VARS, warehouse=warehouse)
    return data, warehouse, manifest, result


@pytest.fixture(scope="session")
def drift_builds(built, tmp_path_factory):
    """One warehouse built three times from the small data set: four weeks before its end
    (no model to compare against yet), then the day after its end twice, first with the retrain
    rule set out of reach (var retrain_min_alert_features 999) and then with the project's
    own rule. The drift log and registry are read after each build; the last build's
    snapshot is served."""
    data, _, _, _ = built
    warehouse = tmp_path_factory.mktemp("drift") / "drift.duckdb"
    earlier = CONFIG.end_date - dt.timedelta(days=28)
    later = CONFIG.end_date + dt.timedelta(days=1)
    states = {}

    def build(name: str, run_date: dt.date, *options: str) -> None:
        run_cli(
            "build",
            "--data-dir",
            str(data),
            "--run-date",
            str(run_date),
            "--skip-validation",
            *options,
            warehouse=warehouse,
        )
        states[name] = {
            "drift_log": query(warehouse, "select * from marts.drift_log order by feature"),
            "registry": query(warehouse, "select * from marts.model_registry order by trained_at, model_version"),
            "drift_settings": query(warehouse, "select * from marts.drift_settings"),
        }

    build("earlier", earlier)
    build("rule_out_of_reach", later, "--vars", "{retrain_min_alert_features: 999}")
    build("later", later)
    return warehouse, later, states
