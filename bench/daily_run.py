"""What a daily run costs beside a full build, and whether it gives the same warehouse.

On a copy of a landing zone (a generated history), in one run on one machine:

1. ``full_build``: `metro-offers build` at the landing's default run date R, in a fresh
   warehouse with an empty model store (every model is trained);
2. ``daily_R+i``: `metro-offers daily --date R+i` for i = 0 .. days-1 on that warehouse and
   store: each lands day R+i and builds as of it (day R lands the first day after the history
   and builds as of R again; R+1 onwards are the nightly job's case). A run on the first day of
   a study period (var study_every_days) recomputes the evaluations and studies;
3. ``full_rebuild``: `metro-offers build` as of the last daily run's date in a fresh warehouse
   with a copy of the daily runs' model store (the models the daily runs kept), then every
   table of the two warehouses compared (metro_offers.warehouse_diff): identical, equal with
   doubles within 1e-9 relative (averages of doubles can differ in the last bits between
   runs), or different (rows only in one of them);
4. ``full_rebuild_again``: the same rebuild once more, compared with the first: the control,
   what differs between two runs of one and the same build.

Each step: wall seconds, peak resident memory of the step's largest process (GNU time), and
its slowest dbt models (run_results.json).

    python bench/daily_run.py --data-dir data --days 3 --name 50k_default

Writes bench/results/daily_run_<name>.json and, for the name 50k_default, the README's
`daily-run` section (`--readme-from FILE` redraws it from a saved result).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from metro_offers.warehouse_diff import compare_warehouses

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_settings import CLI, isolated_env  # noqa: E402
from readme_sections import write_section  # noqa: E402 - bench/ is not a package

ROOT = Path(__file__).resolve().parents[1]
SLOWEST = 12


def step(workdir: Path, name: str, warehouse: Path, store: Path, args: list[str]) -> dict:
    """Run one CLI command with its own warehouse, store and dbt target; time and memory."""
    env = isolated_env(warehouse, store, workdir / name)
    target = Path(env["DBT_TARGET_PATH"])
    usage = workdir / f"{name}.time"
    command = ["/usr/bin/time", "-f", "%e %M", "-o", str(usage), CLI, *args]
    started = time.perf_counter()
    completed = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    (workdir / f"{name}.log").write_text(completed.stdout + completed.stderr)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    peak_kib = int(usage.read_text().split()[-1])
    results = json.loads((target / "run_results.json").read_text())["results"]
    models = [r for r in results if r["unique_id"].startswith("model.")]  # not tests: they are named by hash
    slowest = sorted(models, key=lambda r: -r["execution_time"])[:SLOWEST]
    return {
        "command": f"metro-offers {' '.join(args)}",
        "seconds": round(seconds, 1),
        "peak_rss_gib": round(peak_kib / 2**20, 2),
        "dbt_node_seconds_total": round(sum(r["execution_time"] for r in results), 1),
        "slowest_nodes": {r["unique_id"].split(".")[-1]: round(r["execution_time"], 1) for r in slowest},
        "study_lines": [line for line in completed.stdout.splitlines() if line.startswith("[study]")],
    }


def summary(verdicts: dict[str, str]) -> dict[str, int]:
    kinds = [verdict if not verdict.startswith("differ") else "differ" for verdict in verdicts.values()]
    return {kind: kinds.count(kind) for kind in sorted(set(kinds))}


def readme_section(report: dict) -> str:
    steps = report["steps"]
    full = steps["full_build"]["seconds"]
    lines = [
        f"Measured {report['measured_at']} by `python bench/daily_run.py --data-dir data --days "
        f"{sum(name.startswith('daily_') for name in steps)} --name {report['name']}` (default data set, "
        f"{report['row_counts']['customers']:,} customers, {report['row_counts']['order_items']:,} order lines; "
        "2 cores), one run:",
        "",
        "| step | seconds | share of the full build | peak RSS GiB | dbt node seconds | studies reused "
        "| slowest dbt models |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, step in steps.items():
        reused = sum("reusing" in line for line in step["study_lines"])
        slowest = ", ".join(f"{node} {seconds:.0f}" for node, seconds in list(step["slowest_nodes"].items())[:4])
        lines.append(
            f"| {name} | {step['seconds']:.1f} | {step['seconds'] / full:.0%} | {step['peak_rss_gib']:.1f} | "
            f"{step['dbt_node_seconds_total']:.0f} | {reused} | {slowest} |"
        )
    for title, verdicts in (
        ("Last daily run's warehouse against the full rebuild of the same day", "last_daily_vs_full_rebuild"),
        ("Control, the full rebuild against the same rebuild run again", "full_rebuild_vs_again"),
    ):
        if verdicts not in report:
            continue
        counts = ", ".join(f"{kind}: {count}" for kind, count in summary(report[verdicts]).items())
        differing = {t: v for t, v in report[verdicts].items() if v.startswith("differ")}
        lines += ["", f"{title}, per table: {counts}."]
        if differing:
            lines.append("Differing: " + "; ".join(f"`{t}` {v}" for t, v in differing.items()) + ".")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data")
    parser.add_argument("--days", type=int, default=3, help="daily runs after the full build")
    parser.add_argument("--name")
    parser.add_argument("--readme-from", type=Path, help="redraw the README section from a saved result")
    parser.add_argument("--keep", type=Path, help="copy the warehouses and run results here for inspection")
    args = parser.parse_args()
    if args.readme_from:
        write_section("daily-run", readme_section(json.loads(args.readme_from.read_text())))
        return
    if not args.name:
        parser.error("--name is required")
    manifest = json.loads((args.data_dir / "raw" / "_manifest.json").read_text())
    if manifest["days_appended"]:
        raise SystemExit(f"{args.data_dir} has appended days: give a landing zone that holds only its history")
    run_date = dt.date.fromisoformat(manifest["default_run_date"])
    report = {"name": args.name, "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    report["row_counts"] = manifest["row_counts"]
    with tempfile.TemporaryDirectory(prefix="daily_run_") as tmp:
        workdir = Path(tmp)
        data = workdir / "data"
        shutil.copytree(args.data_dir, data)
        warehouse, store = workdir / "daily.duckdb", workdir / "daily_models"
        steps = {"full_build": step(workdir, "full_build", warehouse, store, ["build", "--data-dir", str(data)])}
        print(f"full_build: {steps['full_build']['seconds']} s", flush=True)
        day = run_date
        for offset in range(args.days):
            day = run_date + dt.timedelta(days=offset)
            name = f"daily_{day}"
            steps[name] = step(workdir, name, warehouse, store, ["daily", "--date", str(day), "--data-dir", str(data)])
            print(f"{name}: {steps[name]['seconds']} s", flush=True)
        fresh, fresh_store = workdir / "full.duckdb", workdir / "full_models"
        shutil.copytree(store, fresh_store)
        arguments = ["build", "--data-dir", str(data), "--run-date", str(day), "--skip-validation"]
        steps["full_rebuild"] = step(workdir, "full_rebuild", fresh, fresh_store, arguments)
        print(f"full_rebuild: {steps['full_rebuild']['seconds']} s", flush=True)
        # The control: the same rebuild again shows what differs between two runs of one build.
        again, again_store = workdir / "again.duckdb", workdir / "again_models"
        shutil.copytree(store, again_store)
        steps["full_rebuild_again"] = step(workdir, "full_rebuild_again", again, again_store, arguments)
        report["steps"] = steps
        report["last_daily_vs_full_rebuild"] = compare_warehouses(warehouse, fresh)
        report["full_rebuild_vs_again"] = compare_warehouses(fresh, again)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for path in (warehouse, fresh, again):
                shutil.copy2(path, args.keep / path.name)
            for name in steps:  # each step's node timings (start, end), for its critical path
                shutil.copy2(workdir / name / "target" / "run_results.json", args.keep / f"{name}_run_results.json")
    report["summary"] = summary(report["last_daily_vs_full_rebuild"])
    report["control_summary"] = summary(report["full_rebuild_vs_again"])
    out = ROOT / "bench" / "results" / f"daily_run_{args.name}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report["summary"]), f"-> {out}")
    if args.name == "50k_default":
        write_section("daily-run", readme_section(report))


if __name__ == "__main__":
    main()
