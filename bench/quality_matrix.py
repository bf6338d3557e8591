"""Robustness of the rankers: the offline evaluation on a matrix of generator configurations
and on The Complete Journey, in one table with 95% intervals.

Each synthetic configuration is generated, validated and built in a fresh warehouse and model
store (the build selects its live ranker on its own validation pool); the table reads its
``marts.offline_evaluation``: NDCG@10, Recall@10, MRR and the share of the oracle's expected
redemptions for every method. The Complete Journey row comes from ``metro-offers benchmark
completejourney`` (its own protocol: coupons of a campaign ranked per household).

    python bench/quality_matrix.py                       # the whole matrix (about 25 min on 2 cores)
    python bench/quality_matrix.py --only tiny_a tiny_b  # a subset
    python bench/quality_matrix.py --readme-from bench/results/quality_matrix.json

Writes bench/results/quality_matrix.json and rewrites the README's quality table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from metro_offers.metrics import PAIRED_GAIN
from metro_offers.ranking.rankers import RANKERS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_settings import CLI  # noqa: E402
from readme_sections import write_section  # noqa: E402 - bench/ is not a package

ROOT = Path(__file__).resolve().parents[1]

# name -> generator options (everything else the generator's default: one year to 2026-10-31)
CONFIGURATIONS: dict[str, list[str]] = {
    "5k_60_offers_conv_0.01": "--customers 5000 --products 2000 --offers 60 --conversion-rate 0.01 --seed 1",
    "10k_400_offers_conv_0.02": (
        "--customers 10000 --products 3000 --offers 400 --conversion-rate 0.02 --audience-share 0.15 --seed 3"
    ),
    "10k_2000_offers_conv_0.06": (
        "--customers 10000 --products 2000 --offers 2000 --conversion-rate 0.06 --audience-share 0.05 --seed 11"
    ),
    "20k_small_baskets_conv_0.06": (
        "--customers 20000 --products 5000 --offers 300 --conversion-rate 0.06 --basket-size-scale 0.6 --seed 5"
    ),
    "20k_rare_visits_conv_0.03": (
        "--customers 20000 --products 10000 --offers 150 --conversion-rate 0.03 --visit-rate-scale 0.5 --seed 8"
    ),
    "50k_default": "",
    "50k_legacy_shape": (
        "--days 180 --visit-rate-scale 0.122 --basket-size-scale 2.8 --audience-share 0.06 --conversion-rate 0.017"
    ),
    # two tiny ones: what CI runs (tests/pytest/test_quality_matrix.py)
    "tiny_a": "--customers 700 --products 500 --offers 60 --days 200 --seed 2",
    "tiny_b": "--customers 700 --products 400 --offers 120 --days 200 --conversion-rate 0.06 --seed 9",
}
DEFAULT_RUN = [name for name in CONFIGURATIONS if not name.startswith("tiny_")] + ["completejourney"]
METRICS = {
    "ndcg": "NDCG@10",
    PAIRED_GAIN: "NDCG@10 − P-TopFreq (paired)",
    "recall": "Recall@10",
    "mrr": "MRR",
    "expected_redemptions_share_of_oracle": "E/oracle",
}
METHODS = (*RANKERS, "oracle")


def run(command: list[str], env: dict) -> str:
    completed = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return completed.stdout


def synthetic(name: str, options: str, workdir: Path) -> dict:
    data, warehouse = workdir / name / "data", workdir / name / "metro.duckdb"
    env = {**os.environ, "METRO_WAREHOUSE": str(warehouse), "METRO_MODEL_STORE": str(workdir / name / "models")}
    started = time.perf_counter()
    run([CLI, "generate", "--data-dir", str(data), *options.split()], env)
    run([CLI, "build", "--data-dir", str(data)], env)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.sql(
            "select method, metric, metric_value as value, ci_low, ci_high, customers from marts.offline_evaluation "
            "where subset = 'all'"
        ).df()
        live = con.sql("select chosen_model, chosen_is_learned from marts.model_registry where is_live").fetchall()[0]
    return {
        "name": name,
        "options": options,
        "protocol": "warehouse offline evaluation (pool as of the cutoff, 28-day window)",
        "served": live[0],
        "served_is_learned": bool(live[1]),
        "seconds": round(time.perf_counter() - started, 1),
        "rows": json.loads(rows.to_json(orient="records")),
    }


def completejourney(workdir: Path) -> dict:
    env = {**os.environ, "METRO_WAREHOUSE": str(workdir / "completejourney.duckdb")}
    env["METRO_MODEL_STORE"] = str(workdir / "completejourney_models")
    output = workdir / "completejourney.json"
    started = time.perf_counter()
    run([CLI, "benchmark", "completejourney", "--data-dir", str(workdir / "cj"), "--output", str(output)], env)
    report = json.loads(output.read_text())
    rows = [r for r in report["results"] if r["task"] == "coupon ranking"]
    served = next((r["method"] for r in rows if r.get("selected")), None)
    return {
        "name": "completejourney",
        "options": "cutoff 2017-10-01",
        "protocol": "coupons of each campaign ranked per household",
        "served": served,
        "served_is_learned": served in RANKERS and RANKERS[served].learned,
        "seconds": round(time.perf_counter() - started, 1),
        "rows": [{**r, "customers": r["lists"]} for r in rows],
    }


def cell(rows: list[dict], method: str, metric: str) -> str:
    match = [r for r in rows if r["method"] == method and r["metric"] == metric]
    if not match or match[0]["value"] is None:
        return "-"
    r = match[0]
    interval = f" [{r['ci_low']:.3f}, {r['ci_high']:.3f}]" if r.get("ci_low") is not None else ""
    return f"{r['value']:.3f}{interval}"


def render(results: list[dict]) -> str:
    lines = [
        "| data | served | method | " + " | ".join(METRICS.values()) + " |",
        "|---|---|---|" + "---|" * len(METRICS),
    ]
    for result in results:
        for method in METHODS:
            if not any(r["method"] == method for r in result["rows"]):
                continue
            cells = [cell(result["rows"], method, metric) for metric in METRICS]
            served = "**" + result["served"] + "**" if method == METHODS[0] else ""
            lines.append(
                f"| {result['name'] if method == METHODS[0] else ''} | {served} | {method} | "
                + " | ".join(cells)
                + " |"
            )
    return "\n".join(lines)


def verdicts(results: list[dict]) -> list[str]:
    """Per data set: does the served ranker's NDCG@10 beat every baseline's, and do the
    intervals overlap?"""
    out = []
    for result in results:
        ndcg = {r["method"]: r for r in result["rows"] if r["metric"] == "ndcg"}
        served = ndcg.get(result["served"])
        best = max(
            (ndcg[m] for m in ("p_topfreq", "segment_popularity", "global_popularity") if m in ndcg),
            key=lambda r: r["value"],
        )
        if served is None:
            continue
        overlap = served["ci_low"] <= best["ci_high"] and best["ci_low"] <= served["ci_high"]
        gain = next((r for r in result["rows"] if r["method"] == result["served"] and r["metric"] == PAIRED_GAIN), None)
        paired = (
            f"; paired gain over P-TopFreq {gain['value']:+.3f} [{gain['ci_low']:+.3f}, {gain['ci_high']:+.3f}]"
            if gain
            else ""
        )
        out.append(
            f"{result['name']}: served {result['served']} {served['value']:.3f} vs best baseline {best['method']} "
            f"{best['value']:.3f} ({served['value'] / best['value'] - 1:+.0%}; intervals "
            f"{'overlap' if overlap else 'do not overlap'}{paired})"
        )
    return out


def write_readme(results: list[dict], measured_at: str) -> None:
    body = "\n".join(
        [
            f"Measured {measured_at} with `python bench/quality_matrix.py` on this project's machine (2 cores); "
            "95% bootstrap intervals over customers (synthetic) or (household, campaign) lists (The Complete Journey); "
            "**served** is the ranker the build selected on its own validation window:",
            "",
            render(results),
            "",
            *[f"- {line}" for line in verdicts(results)],
        ]
    )
    write_section("quality", body, required=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=[*CONFIGURATIONS, "completejourney"])
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "quality_matrix.json"))
    parser.add_argument("--readme-from", default=None, help="redraw the README table from a saved run")
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    if args.readme_from:
        saved = json.loads(Path(args.readme_from).read_text())
        write_readme(saved["results"], saved["measured_at"])
        return
    results = []
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    measured_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with tempfile.TemporaryDirectory(prefix="quality_matrix_") as tmp:
        for name in args.only or DEFAULT_RUN:
            print(f"== {name}", flush=True)
            result = (
                completejourney(Path(tmp))
                if name == "completejourney"
                else synthetic(name, CONFIGURATIONS[name], Path(tmp))
            )
            results.append(result)
            print(f"   served {result['served']} ({result['seconds']} s)", flush=True)
            print("\n".join(verdicts([result])), flush=True)
            # after each data set: a run stopped half-way keeps what it measured
            output.write_text(json.dumps({"measured_at": measured_at, "results": results}, indent=1))
    print(render(results))
    print("\n".join(verdicts(results)))
    if not args.no_readme:
        write_readme(results, measured_at)


if __name__ == "__main__":
    main()
