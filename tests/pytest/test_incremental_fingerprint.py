"""The fingerprint that tells an incremental model (as-of features, daily facts, the staged
order lines) that its stored rows are stale: it covers the model's own code and that of every
model upstream of it (macro upstream_code), and nothing downstream. Checked on a copy of the
dbt project with dbt itself, as the pre-hooks compute it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from metro_offers.reference import project_root

DBT_PROJECT = (
    "dbt_project.yml",
    "profiles.yml",
    "models",
    "python_models",
    "macros",
    "seeds",
    "tests/data_tests",
    "analyses",
)
WATCHED = ("base_metro__order_items", "int_customer_rfm", "int_customer_category_daily_spend")


def fingerprints(project: Path, scratch: Path) -> dict[str, str]:
    columns = ", ".join(
        f"'{{{{ local_md5(upstream_code('model.metro_offers.{name}')) }}}}' as {name}" for name in WATCHED
    )
    env = {
        **os.environ,
        "METRO_WAREHOUSE": str(scratch / "warehouse.duckdb"),
        "DBT_TARGET_PATH": str(scratch / "target"),
        "DBT_LOG_PATH": str(scratch / "logs"),
    }
    dbt = str(Path(sys.executable).parent / "dbt")
    command = [
        dbt,
        "show",
        "--profiles-dir",
        ".",
        "--inline",
        f"select {columns}",
        "--output",
        "json",
        "--log-format",
        "json",
    ]
    completed = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout[-3000:]
    for line in completed.stdout.splitlines():
        shown = json.loads(line).get("data", {}).get("preview")
        if shown:
            return json.loads(shown)[0]
    raise AssertionError(f"no preview in dbt's output:\n{completed.stdout[-3000:]}")


def test_a_change_upstream_changes_the_fingerprint_and_one_downstream_does_not(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name in DBT_PROJECT:
        source = project_root() / name
        if source.is_dir():
            shutil.copytree(source, project / name)
        else:
            shutil.copy(source, project / name)
    before = fingerprints(project, tmp_path / "before")
    assert len(set(before.values())) == len(WATCHED)  # each model's own ancestors

    downstream = project / "models" / "marts" / "serving" / "recommendations.sql"
    downstream.write_text(downstream.read_text() + "\n-- a downstream edit\n")
    assert fingerprints(project, tmp_path / "downstream") == before

    # the orders' staging rules: upstream of the order lines (an order's rejection rejects its
    # lines), of the features and of the daily facts
    upstream = project / "models" / "staging" / "metro" / "base" / "base_metro__orders.sql"
    upstream.write_text(upstream.read_text() + "\n-- a new rule\n")
    after = fingerprints(project, tmp_path / "upstream")
    assert all(after[name] != before[name] for name in WATCHED)
