"""Reading the serving snapshot for the dashboard: cached per snapshot file, so a newly
published snapshot is read afresh and an unchanged one costs nothing."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from metro_offers.evaluation_report import METHOD_LABELS  # noqa: F401 - the pages' labels
from metro_offers.reference import SEGMENTS, project_root


def snapshot_path() -> Path:
    """$METRO_SNAPSHOT, or the snapshot beside the warehouse ($METRO_WAREHOUSE)."""
    from metro_offers.snapshot import default_snapshot_path

    warehouse = project_root() / os.environ.get("METRO_WAREHOUSE", "warehouse/metro_offers.duckdb")
    return default_snapshot_path(warehouse)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


@st.cache_data(show_spinner=False, max_entries=256)
def _query(path: str, identity: tuple[int, int], sql: str, params: tuple) -> pd.DataFrame:
    with duckdb.connect(path, read_only=True) as con:
        return con.execute(sql, list(params)).df()


def query(sql: str, *params) -> pd.DataFrame:
    """A query on the current snapshot (cached until a new one is published)."""
    path = snapshot_path()
    return _query(str(path), _identity(path), sql, params)


def snapshot_exists() -> bool:
    return _identity(snapshot_path()) is not None


def stop_unless_published(table: str, what: str) -> None:
    """End the page with a pointer to `metro-offers build` when the snapshot has no `table`
    (a snapshot published before `what` existed)."""
    if query("select 1 from information_schema.tables where table_name = ?", table).empty:
        st.info(f"This snapshot predates {what}: run `metro-offers build` to publish a current one.")
        st.stop()


def info() -> dict:
    import json

    return json.loads(query("select info from snapshot_info")["info"].iloc[0])


@st.cache_resource(show_spinner=False, max_entries=2)
def _live_model(path: str, identity: tuple[int, int]):
    from metro_offers.ranking.registry import model_from_bytes

    with duckdb.connect(path, read_only=True) as con:
        chosen, artifact = con.sql("select chosen_model, artifact from live_model").fetchall()[0]
    return chosen, model_from_bytes(chosen, artifact)


def live_model():
    """(chosen model name, the model) of the snapshot, for explaining scores."""
    path = snapshot_path()
    return _live_model(str(path), _identity(path))


def selected_segments() -> list[str]:
    """The segments picked in the sidebar (all by default)."""
    return list(st.session_state.get("segments") or SEGMENTS)


def thresholds() -> dict | None:
    """The drift thresholds of the build that made the snapshot (its drift_settings), or None
    for a snapshot published before it carried them."""
    try:
        settings = query("select psi_warn, psi_alert, retrain_min_alert_features from drift_settings")
    except duckdb.CatalogException:
        return None
    row = settings.iloc[0]
    return {
        "psi_warn": float(row.psi_warn),
        "psi_alert": float(row.psi_alert),
        "retrain_min_alert_features": int(row.retrain_min_alert_features),
    }
