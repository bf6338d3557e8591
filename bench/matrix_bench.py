"""The command line shared by the benchmarks that run one measurement per data set of the
matrix (bench/uplift.py, bench/bandit.py): each configuration in its own throw-away folder,
the results merged by configuration into a JSON file, the README's section rewritten."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from readme_sections import write_section


def run_matrix(
    description: str,
    default_run: list[str],
    results_path: Path,
    section: str,
    measure: Callable[[str, Path, Path | None], dict],
    tables: Callable[[dict[str, dict]], str],
    summary: Callable[[dict], object],
) -> None:
    """``measure(name, workdir, default_warehouse)`` for each configuration asked for, then the
    results file and the README's ``section`` (``tables`` of every configuration measured so far)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="configurations to run (default: %(default)s)", default=default_run)
    parser.add_argument("--default-warehouse", type=Path, help="the built 50k_default warehouse to read")
    parser.add_argument("--workdir", type=Path, help="where the builds go (default: a temporary folder)")
    args = parser.parse_args()
    results = json.loads(results_path.read_text())["results"] if results_path.exists() else {}
    for name in args.only:
        print(f"== {name}", flush=True)
        with tempfile.TemporaryDirectory(dir=args.workdir) as folder:
            results[name] = measure(name, Path(folder), args.default_warehouse)
        print(f"   {summary(results[name])}", flush=True)
    results_path.write_text(
        json.dumps(
            {"measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "results": results},
            indent=1,
            default=str,
        )
    )
    write_section(section, tables(results))
    print(tables(results))
