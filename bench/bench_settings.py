"""What the benchmarks share with the build: the project's dbt vars (dbt_project.yml, the
one home of parameters), the offline evaluation's list length and bootstrap read from them,
and the command line of this environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from metro_offers.var_settings import project_vars

VARS = project_vars()
K = int(VARS["recommendations_per_customer"])  # metrics are cut at the list length served
SAMPLES = int(VARS["evaluation_bootstrap_samples"])
SEED = int(VARS["evaluation_seed"])
CLI = str(Path(sys.executable).parent / "metro-offers")


def isolated_env(warehouse: Path, model_store: Path, dbt_dir: Path) -> dict[str, str]:
    """The environment of a `metro-offers` command on its own warehouse and model store, with
    dbt's run results and logs under ``dbt_dir`` (target/, logs/) so that builds do not share them."""
    return {
        **os.environ,
        "METRO_WAREHOUSE": str(warehouse),
        "METRO_MODEL_STORE": str(model_store),
        "DBT_TARGET_PATH": str(dbt_dir / "target"),
        "DBT_LOG_PATH": str(dbt_dir / "logs"),
    }
