"""The pipeline's steps, apart from any command line: where the project keeps its data and
warehouse, the dbt vars, landing validation, the dbt invocation, a build and its publication.
`cli.py` turns these into commands; a step that cannot go on raises PipelineError with what
to do."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
import time
from pathlib import Path

from metro_offers.processes import run_child
from metro_offers.reference import project_root
from metro_offers.var_settings import DECLARED_NAMES, project_vars


class PipelineError(RuntimeError):
    """A step refused or failed; the message says why and what was (not) published."""


def default_data_dir() -> Path:
    return Path(os.environ.get("METRO_DATA_DIR", project_root() / "data"))


def warehouse_path() -> Path:
    """The DuckDB file dbt builds ($METRO_WAREHOUSE, as in profiles.yml)."""
    return project_root() / os.environ.get("METRO_WAREHOUSE", "warehouse/metro_offers.duckdb")


def dbt_vars() -> dict:
    """The project's dbt vars (dbt_project.yml is the one place parameters live)."""
    return dict(project_vars())


def var_overrides(text: str | None) -> dict:
    """A YAML mapping of this project's dbt vars (the commands' --vars); ValueError otherwise."""
    import yaml

    extra = yaml.safe_load(text) if text else {}
    if not isinstance(extra, dict):
        raise ValueError(f"expected a YAML mapping of dbt vars, got {text!r}")
    if unknown := sorted(set(extra) - set(dbt_vars())):
        raise ValueError(f"not dbt vars of this project: {', '.join(unknown)}")
    if declared := sorted(set(extra) & set(DECLARED_NAMES)):
        raise ValueError(
            f"{', '.join(declared)}: names the Python code shares with SQL; change them in dbt_project.yml"
        )
    return extra


def model_store_var() -> dict:
    """The model_store_dir var: $METRO_MODEL_STORE, else <warehouse>.models beside a warehouse
    named by $METRO_WAREHOUSE (each warehouse keeps its own rankers), else the var's default.
    Passed on the command line, as dbt caches values rendered from environment variables in
    dbt_project.yml."""
    store = os.environ.get("METRO_MODEL_STORE")
    if not store and os.environ.get("METRO_WAREHOUSE"):
        store = str(warehouse_path().with_suffix(".models"))
    return {"model_store_dir": str(Path(store).resolve())} if store else {}


def run_dbt(args: list[str], dbt_variables: dict, echo=print) -> None:
    """Run dbt in the project folder with the given vars (signals reach it, it dies with this
    process); PipelineError when it fails or is stopped."""
    dbt = Path(sys.executable).parent / "dbt"
    command = [str(dbt), *args, "--project-dir", str(project_root()), "--profiles-dir", str(project_root())]
    command += ["--vars", json.dumps(dbt_variables)]
    echo(f"[build] {' '.join(command[:2])} --vars '{json.dumps(dbt_variables)}'")
    status = run_child(command, cwd=project_root())
    if status < 0:
        raise PipelineError(f"dbt {args[0]} was stopped by {signal.Signals(-status).name}; nothing published")
    if status != 0:
        raise PipelineError(f"dbt {args[0]} failed (exit {status}); see the log above")


def validate_landing(raw_dir: Path, echo=print) -> None:
    from metro_offers.landing_validation import LandingValidationError, ensure_valid

    try:
        ensure_valid(raw_dir, dbt_vars()["landing_max_bad_row_share"], echo=echo)
    except LandingValidationError as error:
        raise PipelineError(f"landing zone rejected, nothing was built:\n{error}") from error


def validate_landing_in_child(data_dir: Path) -> None:
    """`metro-offers validate` as a child process: a build runs for hours after it, and the
    validation's memory (3.3 GB resident at a million customers) would otherwise stay with the
    build's process. Its report and any refusal are printed by the child."""
    status = run_child([str(Path(sys.executable).parent / "metro-offers"), "validate", "--data-dir", str(data_dir)])
    if status != 0:
        raise PipelineError(f"the landing zone's validation failed (exit {status}, see above); nothing was built")


def dataset_kind(data_dir: Path) -> str:
    """The landing's source as the dbt var `dataset`: 'synthetic' (the generator) or the
    adapter's name, from the manifest."""
    manifest = data_dir / "raw" / "_manifest.json"
    return json.loads(manifest.read_text()).get("source", "synthetic") if manifest.exists() else "synthetic"


def build(
    data_dir: Path,
    as_of: dt.date,
    validate_first: bool,
    selector: str | None,
    extra_vars: dict | None = None,
    echo=print,
    incremental: bool = False,
) -> None:
    """Validate the landing (unless told not to), dbt build as of ``as_of``, and publish the
    snapshot when the whole warehouse was built. Not ``incremental`` (a full build), the
    incremental models are rebuilt from scratch (--full-refresh): the landing zone may have
    been replaced since the warehouse was built."""
    started = time.perf_counter()
    raw_dir = data_dir / "raw"
    if validate_first:
        validate_landing_in_child(data_dir)
    args = ["build"] + (["--select", selector] if selector else []) + ([] if incremental else ["--full-refresh"])
    dbt_variables = {"run_date": str(as_of), "raw_root": str(raw_dir), "truth_root": str(data_dir / "truth")}
    dbt_variables["dataset"] = dataset_kind(data_dir)
    run_dbt(args, {**dbt_variables, **model_store_var(), **(extra_vars or {})}, echo=echo)
    echo(f"[build] warehouse built as of {as_of} in {time.perf_counter() - started:.1f} s")
    if selector is None:  # a partial build is not a whole state to serve
        publish(echo=echo)


def publish(echo=print) -> None:
    """The warehouse's serving marts as the snapshot the API and the dashboard read."""
    from metro_offers.snapshot import SnapshotError, default_snapshot_path
    from metro_offers.snapshot import publish as publish_snapshot

    warehouse = warehouse_path()
    try:
        publish_snapshot(warehouse, default_snapshot_path(warehouse), echo=echo)
    except SnapshotError as error:
        raise PipelineError(f"nothing published, the previous snapshot stays: {error}") from error
