"""The bandit on the default data, a matrix of generated configurations and The Complete
Journey: the closed loop's policy comparison (marts.bandit_policy_comparison), the off-policy
study (marts.off_policy_evaluation), and what a simulated day costs beside a daily run.

For each synthetic configuration the data is generated and fully built (its own warehouse and
model store; `50k_default` copies the project's data and reads its built warehouse when
`--default-warehouse` is given). The cost: the closed loop rerun in-process for one seed
(seconds per simulated day, every policy and the oracle) and `metro-offers daily` landing and
building the next day on a copy, timed in the same run. The Complete Journey is landed and
built to record that nothing is simulated or estimated there.

    python bench/bandit.py --default-warehouse warehouse/metro_offers.duckdb
    python bench/bandit.py --only 20k_rare_visits_conv_0.03

Writes bench/results/bandit.json (merged by configuration) and the README's bandit tables.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import sys
import time
from pathlib import Path

import duckdb

from metro_offers.bandit.inputs import simulated_world
from metro_offers.bandit.policies import POLICY_LABELS
from metro_offers.bandit.settings import policy_settings, simulation_settings
from metro_offers.bandit.simulation import simulate
from metro_offers.landing import read_manifest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from bench_settings import VARS, isolated_env  # noqa: E402
from item2vec_ablation import CLI, build, land  # noqa: E402 - the matrix's landing and build
from matrix_bench import run_matrix  # noqa: E402
from quality_matrix import run  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "bandit.json"
DEFAULT_RUN = [
    "50k_default",
    "10k_400_offers_conv_0.02",
    "20k_small_baskets_conv_0.06",
    "20k_rare_visits_conv_0.03",
    "completejourney",
]
META = {name: str(value) for name, value in VARS.items() if name.startswith("bandit_")}


def marts(warehouse: Path) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        comparison = con.sql("select * from marts.bandit_policy_comparison order by mean_regret").df()
        study = con.sql("select * from marts.off_policy_evaluation order by target_policy, estimator").df()
        per_seed = con.sql(
            "select policy, seed, sum(regret) as regret, sum(redemptions) as redemptions "
            "from marts.bandit_simulation group by all order by all"
        ).df()
    return {
        "comparison": comparison.round(4).to_dict("records"),
        "off_policy": study.round(4).to_dict("records"),
        "per_seed": per_seed.round(2).to_dict("records"),
    }


PRIOR_STRENGTHS = (1, 5, 20, 50)


def world_of(warehouse: Path, meta: dict):
    """The build's simulated world, read once per data set for both measurements below."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return simulated_world(
            con.table("staging.stg_metro__orders"),
            con.table("ml.ranker_scores"),
            con.table("staging.stg_metro__customers"),
            con.table("staging.stg_metro__offers"),
            meta,
            echo=lambda _: None,
        )


def simulated_day_seconds(world, meta: dict, run_date: dt.date) -> dict:
    """One seed of the closed loop in-process on the build's inputs: seconds per simulated day."""
    settings = dataclasses.replace(simulation_settings(meta), simulation_seeds=1)
    started = time.perf_counter()
    simulate(world, run_date, policy_settings(meta), settings, VARS["bandit_simulation_policies"], echo=lambda _: None)
    seconds = time.perf_counter() - started
    return {"seconds_per_simulated_day": round(seconds / settings.simulation_days, 3), "customers": world.n_customers}


def prior_strength_sensitivity(world, meta: dict, run_date: dt.date) -> list[dict]:
    """The calibrated Thompson policy's regret with other prior strengths (var
    bandit_ranker_prior_strength), beside the greedy ranker's, on the build's seeds."""
    settings = simulation_settings(meta)
    rows = []
    for strength in PRIOR_STRENGTHS:
        policies = dataclasses.replace(policy_settings(meta), ranker_prior_strength=float(strength))
        days, _ = simulate(world, run_date, policies, settings, ("greedy", "thompson_ranker"), echo=lambda _: None)
        regret = days.groupby(["policy", "seed"]).regret.sum().unstack("policy")
        rows.append(
            {
                "prior_strength": strength,
                "mean_regret": round(float(regret.thompson_ranker.mean()), 1),
                "greedy_mean_regret": round(float(regret.greedy.mean()), 1),
                "seeds_beating_greedy": int((regret.thompson_ranker < regret.greedy).sum()),
                "seeds": len(regret),
            }
        )
    return rows


def daily_run_seconds(data: Path, warehouse: Path, store: Path, workdir: Path) -> float:
    """`metro-offers daily` for the day after the history, on copies of the data and warehouse."""
    copy, copied_warehouse, copied_store = workdir / "daily_data", workdir / "daily.duckdb", workdir / "daily.models"
    shutil.copytree(data, copy)
    shutil.copy(warehouse, copied_warehouse)
    if store.exists():
        shutil.copytree(store, copied_store)
    day = dt.date.fromisoformat(read_manifest(copy)["history_end"]) + dt.timedelta(days=1)
    env = isolated_env(copied_warehouse, copied_store, workdir / "daily")
    started = time.perf_counter()
    run([CLI, "daily", "--date", str(day), "--data-dir", str(copy)], env)
    return time.perf_counter() - started


def measure(name: str, workdir: Path, default_warehouse: Path | None) -> dict:
    if name == "50k_default" and default_warehouse is not None:
        data, warehouse, store, seconds = ROOT / "data", default_warehouse, ROOT / "warehouse" / "models", None
        described = {"options": "", "warehouse": str(default_warehouse)}
    else:
        data, extra_vars, described = land(name, workdir)
        warehouse, store, seconds = build(data, workdir, "bandit", extra_vars)
    result = {"name": name, **described, "build_seconds": None if seconds is None else round(seconds, 1)}
    result.update(marts(warehouse))
    if not result["comparison"]:
        result["note"] = "no truth and no logged propensities: nothing simulated or estimated"
        return result
    run_date = dt.date.fromisoformat(read_manifest(data)["default_run_date"])
    meta = {**META, "run_date": str(run_date), "truth_root": str(data / "truth")}
    world = world_of(warehouse, meta)
    result["cost"] = simulated_day_seconds(world, meta, run_date)
    result["prior_strength"] = prior_strength_sensitivity(world, meta, run_date)
    result["cost"]["daily_run_seconds"] = round(daily_run_seconds(data, warehouse, store, workdir), 1)
    return result


def _range(row: dict, column: str) -> str:
    return f"{row[f'mean_{column}']:,.0f} ({row[f'min_{column}']:,.0f} - {row[f'max_{column}']:,.0f})"


def tables(results: dict[str, dict]) -> str:
    lines = [
        "| data | policy | redemptions (lowest - highest seed) | regret (lowest - highest) "
        "| true incremental | control-measured incremental | seeds beating greedy | seeds beating epsilon-greedy |",
        "|---|---|---|---|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        if not r["comparison"]:
            lines.append(f"| {name} | {r['note']} | | | | | | |")
            continue
        for row in r["comparison"]:
            label = POLICY_LABELS.get(row["policy"], "Oracle")
            lines.append(
                f"| {name} | {label} | {_range(row, 'redemptions')} | {_range(row, 'regret')} "
                f"| {row['mean_true_incremental']:,.0f} | {row['mean_measured_incremental']:,.0f} "
                f"| {row['seeds_beating_greedy']}/{row['seeds']} "
                f"| {row['seeds_beating_epsilon_greedy']}/{row['seeds']} |"
            )
            name = ""
    lines += [
        "",
        "| data | target policy | estimator | true value | relative bias | logs within 10% | 95% interval coverage |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        for row in r["off_policy"]:
            lines.append(
                f"| {name} | {POLICY_LABELS.get(row['target_policy'], row['target_policy'])} | {row['estimator']} "
                f"| {row['true_value']:.4f} | {row['relative_bias']:+.1%} | {row['share_within_10pct']:.0%} "
                f"| {row['interval_coverage']:.0%} |"
            )
            name = ""
    lines += [
        "",
        "| data | prior strength (expected redemptions) | Thompson on the ranker's calibration: regret "
        "| greedy: regret | seeds beating greedy |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        for row in r.get("prior_strength", []):
            lines.append(
                f"| {name} | {row['prior_strength']} | {row['mean_regret']:,.0f} | {row['greedy_mean_regret']:,.0f} "
                f"| {row['seeds_beating_greedy']}/{row['seeds']} |"
            )
            name = ""
    lines += [
        "",
        "| data | customers | seconds per simulated day (all policies) | daily run (s) | ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        if "cost" in r:
            c = r["cost"]
            ratio = c["seconds_per_simulated_day"] / c["daily_run_seconds"]
            lines.append(
                f"| {name} | {c['customers']:,} | {c['seconds_per_simulated_day']} | {c['daily_run_seconds']} "
                f"| {ratio:.4f} |"
            )
    return "\n".join(lines)


def main() -> None:
    run_matrix(
        __doc__, DEFAULT_RUN, RESULTS, "bandit", measure, tables, lambda result: result.get("cost", result.get("note"))
    )


if __name__ == "__main__":
    main()
