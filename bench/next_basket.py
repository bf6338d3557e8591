"""Next-basket recommendation: the baselines a sequential model must beat, on the default
synthetic data and on The Complete Journey (metro_offers.next_basket).

Task: for every customer with history before a global cutoff and a basket on or after it,
the products of that first basket; full ranking over the catalogue; Recall@10, NDCG@10 and
hit rate@10 with bootstrap 95% intervals over customers, overall and for repeat (bought
before) and explore (new) items. Methods: popularity (distinct buyers in the var
segment_popularity_window_days days before the cutoff), P-TopFreq, GP-TopFreq, TIFU-KNN
with the paper's settings (300 neighbours, decays 0.9 / 0.7, alpha 0.7, 7 groups), SASRec
(the sasrec_* vars of dbt_project.yml) and SASRec mixed with the customer's own purchase
frequency (weight tuned on SASRec's validation slice). SASRec's training and scoring times
are its budgets' measure (issue 15: training <= 3 min, scoring <= 30 s at the default scale).

Synthetic: the accepted order lines of a built warehouse (staging), cutoff = its last
build's run date minus var evaluation_holdout_days; and two generator configurations of the
quality matrix unlike the default (small baskets, rare visits), generated here, their landed
order lines read as they are (the generator writes no bad rows), the same cutoff rule. The
Complete Journey: its merchandise transactions from the pinned package, cutoff 2017-10-01
(its benchmark's).

    python bench/next_basket.py                 # all four (about 25 min on 2 cores)
    python bench/next_basket.py --only synthetic
    python bench/next_basket.py --only 20k_rare_visits_conv_0.03   # replaces that data set's rows

Writes bench/results/next_basket.json and the README's next-basket table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

from metro_offers.adapters import completejourney as cj
from metro_offers.adapters import completejourney_benchmark as cj_benchmark
from metro_offers.next_basket import harness, methods
from metro_offers.next_basket.sasrec import SasrecSettings
from metro_offers.next_basket.task import NextBasketTask

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from bench_settings import CLI, SAMPLES, SEED, VARS, K  # noqa: E402
from quality_matrix import CONFIGURATIONS, run  # noqa: E402 - bench/ is not a package
from readme_sections import write_section  # noqa: E402

GENERATED = ["20k_small_baskets_conv_0.06", "20k_rare_visits_conv_0.03"]

POPULARITY_DAYS = int(VARS["segment_popularity_window_days"])
RESULTS = ROOT / "bench" / "results" / "next_basket.json"


def synthetic_lines(warehouse: Path) -> tuple[pd.DataFrame, dt.date]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        lines = con.sql(
            "select orders.customer_id, orders.order_id as basket_id, cast(orders.order_date as timestamp) "
            "as basket_time, items.product_id from staging.stg_metro__orders as orders "
            "inner join staging.stg_metro__order_items as items on orders.order_id = items.order_id"
        ).df()
        run_date = con.sql("select max(run_date) from ops.pipeline_runs where status = 'success'").fetchall()[0][0]
    return lines, run_date - dt.timedelta(days=int(VARS["evaluation_holdout_days"]))


def generated_lines(name: str, folder: Path) -> tuple[pd.DataFrame, dt.date]:
    """Generate the matrix configuration ``name`` into ``folder``; its landed order lines and
    cutoff (default run date minus var evaluation_holdout_days)."""
    run([CLI, "generate", "--data-dir", str(folder), *CONFIGURATIONS[name].split()], dict(os.environ))
    raw = folder / "raw"
    with duckdb.connect() as con:
        lines = con.sql(
            "select orders.customer_id, orders.order_id as basket_id, cast(orders.order_date as timestamp) "
            f"as basket_time, items.product_id from read_parquet('{raw}/orders/*.parquet') as orders "
            f"inner join read_parquet('{raw}/order_items/*.parquet') as items on orders.order_id = items.order_id"
        ).df()
    run_date = dt.date.fromisoformat(json.loads((raw / "_manifest.json").read_text())["default_run_date"])
    return lines, run_date - dt.timedelta(days=int(VARS["evaluation_holdout_days"]))


def completejourney_lines() -> tuple[pd.DataFrame, dt.date]:
    return cj_benchmark.merchandise_lines(cj.load_source(None)), cj_benchmark.DEFAULT_CUTOFF


def measure(name: str, lines: pd.DataFrame, cutoff: dt.date) -> dict:
    task = NextBasketTask.from_lines(lines, cutoff)
    print(
        f"[next basket] {name}: {task.customers.size:,} customers, {len(task.targets):,} target items "
        f"({task.targets.repeat.mean():.0%} repeat), cutoff {cutoff}",
        flush=True,
    )
    ranked = methods.rank(task, list(methods.METHODS), K, POPULARITY_DAYS, SasrecSettings.from_vars(VARS))
    result = harness.evaluate(task, ranked.lists, K, SAMPLES, SEED)
    return {
        "name": name,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cutoff": str(cutoff),
        "customers": int(task.customers.size),
        "target_items": len(task.targets),
        "repeat_share": round(float(task.targets.repeat.mean()), 4),
        "seconds": ranked.seconds,
        "sasrec_training_seconds": ranked.training_seconds,
        "sasrec_history": ranked.model.history,
        "sasrec_best_epoch": ranked.model.best_epoch,
        "mix_weight": ranked.mix_weight,
        "mix_grid": ranked.mix_grid,
        "rows": result.round(4).to_dict("records"),
    }


def _cell(rows: list[dict], method: str, subset: str, metric: str) -> str:
    [row] = [r for r in rows if r["method"] == method and r["subset"] == subset and r["metric"] == metric]
    return f"{row['value']:.3f} [{row['ci_low']:.3f}, {row['ci_high']:.3f}]"


def table(results: list[dict]) -> str:
    lines = [
        "Measured with `python bench/next_basket.py` on this project's machine (2 cores), each data set at the "
        "time below; full ranking over the catalogue, 95% bootstrap intervals over customers:",
        "",
        "| data | method | Recall@10 | NDCG@10 | HR@10 | Recall@10 repeat | Recall@10 explore |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        name = f"{result['name']} ({result['customers']:,} customers, {result['repeat_share']:.0%} repeat items)"
        for method, label in methods.LABELS.items():
            cells = [_cell(result["rows"], method, "all", m) for m in ("recall", "ndcg", "hit_rate")]
            cells += [_cell(result["rows"], method, s, "recall") for s in ("repeat", "explore")]
            lines.append(f"| {name} | {label} | " + " | ".join(cells) + " |")
            name = ""
    lines += [""] + [
        f"SASRec on {r['name']} (measured {r['measured_at']}): trained in {r['sasrec_training_seconds']} s "
        f"(best epoch {r['sasrec_best_epoch']} of {len(r['sasrec_history'])}), scored in {r['seconds']['sasrec']} s; "
        f"frequency weight of the mix {r['mix_weight']}."
        for r in results
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["synthetic", *GENERATED, "completejourney"], default=None)
    parser.add_argument("--warehouse", type=Path, default=ROOT / "warehouse" / "metro_offers.duckdb")
    args = parser.parse_args()
    results = []
    if args.only in (None, "synthetic"):
        results.append(measure("50k_default", *synthetic_lines(args.warehouse)))
    for name in GENERATED:
        if args.only in (None, name):
            with tempfile.TemporaryDirectory(prefix="next_basket_") as folder:
                results.append(measure(name, *generated_lines(name, Path(folder))))
    if args.only in (None, "completejourney"):
        results.append(measure("completejourney", *completejourney_lines()))
    # a partial run replaces its data sets' results and keeps the others'
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"results": []}
    previous = [{"measured_at": saved.get("measured_at"), **r} for r in saved["results"]]
    names = {r["name"] for r in results}
    results = [r for r in previous if r["name"] not in names] + results
    order = ["50k_default", *GENERATED, "completejourney"]
    results.sort(key=lambda r: order.index(r["name"]) if r["name"] in order else len(order))
    RESULTS.write_text(json.dumps({"results": results}, indent=2))
    text = table(results)
    write_section("next_basket", text)
    print(text)


if __name__ == "__main__":
    main()
