"""The serving snapshot (docs/architecture.md §7): what the API and the dashboard read, published
atomically beside the warehouse after a successful build.

DuckDB admits one writer or many readers, and dbt holds the warehouse for a whole build, so
readers never open the warehouse. After a build succeeds, ``publish`` copies the tables
serving needs into a new DuckDB file, fsyncs it and renames it over the previous snapshot
(an atomic replace on POSIX). A failed or interrupted build never reaches ``publish``, so
the previous snapshot stays; a reader that has the old file open keeps reading it until it
switches.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb

# table in the snapshot -> query against the attached warehouse (alias wh): marts only, so every
# table served has its lineage, contract and tests in dbt
SNAPSHOT_TABLES: dict[str, str] = {
    "recommendations": "select * from wh.marts.served_recommendations order by customer_id, recommendation_rank",
    "offers": "select * from wh.marts.offer_catalogue order by offer_id",
    "customer_features": "select * from wh.marts.customer_features order by customer_id",
    "model_registry": "select * from wh.marts.model_registry order by trained_at, model_version",
    "drift_settings": "select * from wh.marts.drift_settings",
    "offline_evaluation": "select * from wh.marts.offline_evaluation",
    "next_basket_evaluation": "select * from wh.marts.next_basket_evaluation order by method, subset, metric",
    "drift_log": "select * from wh.marts.drift_log order by run_date, feature",
    "candidate_strategy_stats": "select * from wh.marts.candidate_strategy_stats",
    "candidate_strategies": "select * from wh.reference.candidate_strategies",
    "daily_sales": "select * from wh.marts.daily_sales order by order_date, segment",
    "customer_monthly_activity": "select * from wh.marts.customer_monthly_activity order by all",
    "offer_performance": "select * from wh.marts.offer_performance",
    "holiday_calendar": "select * from wh.reference.holiday_calendar",
    "feature_importance": "select * from wh.marts.model_feature_importance",
    "evaluation_curves": "select * from wh.marts.offline_evaluation_curves order by method, curve, point_index",
    "product_embeddings": "select * from wh.marts.product_embeddings order by product_id",
    "product_embedding_map": "select * from wh.marts.product_embedding_map order by product_id",
    "uplift_model_registry": "select * from wh.marts.uplift_model_registry order by learner",
    "uplift_evaluation": "select * from wh.marts.uplift_evaluation order by evaluation, method, metric",
    "uplift_qini_curves": "select * from wh.marts.uplift_qini_curves order by method, population_share",
    "offer_customer_types": "select * from wh.marts.offer_customer_types order by offer_id",
    "offer_posteriors": "select * from wh.marts.offer_posteriors order by offer_id, segment",
    "offer_selections": "select * from wh.marts.offer_selections order by customer_id",
    "bandit_simulation": "select * from wh.marts.bandit_simulation order by policy, seed, day",
    "bandit_policy_comparison": "select * from wh.marts.bandit_policy_comparison order by mean_regret",
    "off_policy_evaluation": "select * from wh.marts.off_policy_evaluation order by target_policy, estimator",
}


class SnapshotError(RuntimeError):
    """The warehouse cannot be published (a table is missing or the recommendations are empty)."""


def default_snapshot_path(warehouse: Path) -> Path:
    """$METRO_SNAPSHOT, or <warehouse>.serving.duckdb beside the warehouse."""
    override = os.environ.get("METRO_SNAPSHOT")
    return Path(override) if override else warehouse.with_name(warehouse.stem + ".serving.duckdb")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(warehouse: Path, snapshot: Path, echo=print) -> dict:
    """Copy the serving tables of ``warehouse`` into a new file and atomically replace
    ``snapshot`` with it. Returns the snapshot's info row."""
    if not warehouse.exists():
        raise SnapshotError(f"no warehouse at {warehouse}")
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    staging = snapshot.with_name(snapshot.name + ".publishing")
    staging.unlink(missing_ok=True)
    try:
        with duckdb.connect() as con:
            # both files under explicit names: a warehouse file named wh.duckdb would
            # otherwise clash with the staging file's default catalog name (wh.serving...)
            con.execute("attach ? as snapshot_staging", [str(staging)])
            con.execute("use snapshot_staging")
            con.execute("attach ? as wh (read_only)", [str(warehouse)])
            counts = {}
            for table, query in SNAPSHOT_TABLES.items():
                try:
                    con.execute(f"create table {table} as {query}")
                except duckdb.CatalogException as error:
                    raise SnapshotError(f"the warehouse lacks what serving needs ({table}): {error}") from error
                counts[table] = con.sql(f"select count(*) from {table}").fetchall()[0][0]
            if counts["recommendations"] == 0:
                raise SnapshotError("the warehouse has no recommendations: nothing to serve")
            # the live model itself, so readers can explain scores without the model store
            live = "select chosen_model, artifact_path from model_registry where is_live"
            chosen, artifact = con.sql(live).fetchall()[0]
            con.execute(
                "create table live_model as select ? as chosen_model, ?::blob as artifact",
                [chosen, Path(artifact).read_bytes()],
            )
            run_date, model_version = con.sql(
                "select max(run_date), any_value(model_version) from recommendations"
            ).fetchall()[0]
            info = {
                "run_date": str(run_date),
                "model_version": model_version,
                "published_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "row_counts": counts,
            }
            con.execute("create table snapshot_info as select ? as info", [json.dumps(info)])
            con.execute("detach wh")
            con.execute("checkpoint snapshot_staging")
            con.execute("use memory")
            con.execute("detach snapshot_staging")
        _fsync(staging)
        os.replace(staging, snapshot)  # atomic: readers see the old file or the new one
        _fsync(snapshot.parent)
    finally:
        staging.unlink(missing_ok=True)
        Path(str(staging) + ".wal").unlink(missing_ok=True)
    echo(f"[publish] snapshot of {info['run_date']} ({info['model_version']}) -> {snapshot}")
    return info


def read_info(snapshot: Path) -> dict:
    with duckdb.connect(str(snapshot), read_only=True) as con:
        return json.loads(con.sql("select info from snapshot_info").fetchall()[0][0])
