"""Does Item2Vec help the rankers? The same pipeline with and without it, paired.

For each data set, three warehouses are built from the same landing: the project's defaults
(the item2vec candidate strategy and the two similarity features);
`--vars '{item2vec_enabled: false}'` (no strategy, null features); and the latter with
item2vec's quota given to category affinity (a pool of about the same size). The evaluation
pools have the same customers (those who redeemed in the evaluation window) and the same
relevant offers (every offer they redeemed there, also those retrieval missed), so
per-customer NDCG@10 is paired: the interval is a bootstrap over customers of the with-minus-without difference.
Methods: the ranker each build served, and LightGBM and logistic regression refitted on each
build's training pools with its registered parameters (metro_offers.evaluation.method_scores).
Also each evaluation pool's size and recall (relevant offers it holds).

Synthetic data sets are generated here; The Complete Journey is landed with
`metro-offers ingest completejourney` (evaluation cutoff 2017-10-01, as in its benchmark).

    python bench/item2vec_ablation.py                        # default, three matrix configs, CJ
    python bench/item2vec_ablation.py --only 10k_400_offers_conv_0.02

Writes bench/results/item2vec_ablation.json and the README's Item2Vec tables (with
bench/item2vec.py's results; `--readme-from FILE` redraws them). dbt runs with its own target and log folders, so
the project's own dbt commands are not disturbed.
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
import numpy as np
import pandas as pd

from metro_offers.evaluation import method_scores
from metro_offers.metrics import list_metrics, rank_within_customer, resample_weights
from metro_offers.pools import EVALUATION_POOL
from metro_offers.ranking.registry import live_entry

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from bench_settings import CLI, SAMPLES, SEED, VARS, K, isolated_env  # noqa: E402
from quality_matrix import CONFIGURATIONS, run  # noqa: E402 - the matrix's generator options and runner
from readme_sections import write_section  # noqa: E402

DEFAULT_RUN = ["10k_400_offers_conv_0.02", "10k_2000_offers_conv_0.06", "20k_small_baskets_conv_0.06", "50k_default"]
CJ_CUTOFF = dt.date(2017, 10, 1)
QUOTAS = VARS["candidate_quotas"]
VARIANTS = {
    "with_item2vec": {},
    "without_item2vec": {"item2vec_enabled": False},
    # the pool at (about) equal size: item2vec's quota goes to category affinity
    "without_item2vec_equal_quota": {
        "item2vec_enabled": False,
        "candidate_quotas": {
            **QUOTAS,
            "category_affinity": QUOTAS["category_affinity"] + QUOTAS["item2vec"],
            "item2vec": 0,
        },
    },
}


def land(name: str, workdir: Path) -> tuple[Path, dict, dict]:
    """Generate the matrix configuration ``name`` (or land The Complete Journey) in
    ``workdir``/data: the data folder, the vars its builds need and what the report says of it."""
    data = workdir / "data"
    env = {**os.environ, "METRO_WAREHOUSE": str(workdir / "ingest.duckdb")}
    if name != "completejourney":
        run([CLI, "generate", "--data-dir", str(data), *CONFIGURATIONS[name].split()], env)
        return data, {}, {"options": CONFIGURATIONS[name]}
    run([CLI, "ingest", "completejourney", "--data-dir", str(data), "--segment-until", str(CJ_CUTOFF)], env)
    manifest = json.loads((data / "raw" / "_manifest.json").read_text())
    # the evaluation cutoff of the Complete Journey benchmark
    holdout = (dt.date.fromisoformat(manifest["default_run_date"]) - CJ_CUTOFF).days
    return data, {"evaluation_holdout_days": holdout}, {"note": f"evaluation cutoff {CJ_CUTOFF}, window {holdout} days"}


def build(data: Path, workdir: Path, variant: str, overrides: dict) -> tuple[Path, Path, float]:
    """A full build of ``data`` with the vars ``overrides``, in its own warehouse and model
    store named after ``variant``; returns them and the build's seconds."""
    warehouse, store = workdir / f"{variant}.duckdb", workdir / f"{variant}.models"
    env = isolated_env(warehouse, store, workdir)
    started = time.perf_counter()
    run([CLI, "build", "--data-dir", str(data), *(["--vars", json.dumps(overrides)] if overrides else [])], env)
    return warehouse, store, time.perf_counter() - started


def per_customer_ndcg(warehouse: Path, store: Path) -> tuple[dict[str, pd.Series], dict]:
    """Per-customer NDCG@10 of the served ranker and the learned ones on the evaluation pool,
    and the pool's size and recall."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        examples = con.sql("select * from marts.pool_examples").df()
    entry = live_entry(store)
    candidates = examples[examples["pool"] == EVALUATION_POOL].sort_values(["customer_id", "offer_id"])
    candidates = candidates.reset_index(drop=True)
    scores = method_scores(examples, candidates, entry, None, SEED, echo=lambda _: None)
    customer = candidates["customer_id"].to_numpy(dtype=np.int64)
    relevant = candidates["redeemed_in_window"].to_numpy(dtype=bool)
    n_relevant = candidates.groupby("customer_id")["relevant_offers"].first()
    wanted = {"served": entry["chosen_model"], "lightgbm": "lightgbm", "logistic_regression": "logistic_regression"}
    ndcg = {}
    for label, method in wanted.items():
        if method in scores:
            rank = rank_within_customer(customer, scores[method], candidates["offer_id"].to_numpy())
            ndcg[label] = list_metrics(customer, rank, relevant, n_relevant, K)["ndcg"]
    pool = {
        "customers": int(candidates["customer_id"].nunique()),
        "candidates_per_customer": round(len(candidates) / candidates["customer_id"].nunique(), 1),
        "pool_recall": round(float(relevant.sum() / n_relevant.sum()), 4),
        "served": entry["chosen_model"],
    }
    return ndcg, pool


def paired(with_ndcg: pd.Series, without_ndcg: pd.Series) -> dict:
    both = pd.concat([with_ndcg.rename("with"), without_ndcg.rename("without")], axis=1).dropna()
    difference = (both["with"] - both["without"]).to_numpy()
    weights = resample_weights(len(difference), SAMPLES, SEED)
    replicates = weights @ difference / len(difference)
    low, high = np.percentile(replicates, [2.5, 97.5])
    without_mean = float(both["without"].mean())
    return {
        "with": round(float(both["with"].mean()), 4),
        "without": round(without_mean, 4),
        "difference": round(float(difference.mean()), 4),
        "ci_low": round(float(low), 4),
        "ci_high": round(float(high), 4),
        "relative": round(float(difference.mean()) / without_mean, 4) if without_mean else None,
        "customers": len(difference),
    }


def compare(name: str, data: Path, workdir: Path, extra_vars: dict) -> dict:
    result = {"name": name, "variants": {}}
    ndcg = {}
    for variant in VARIANTS:
        warehouse, store, seconds = build(data, workdir, variant, {**extra_vars, **VARIANTS[variant]})
        ndcg[variant], pool = per_customer_ndcg(warehouse, store)
        result["variants"][variant] = {**pool, "build_seconds": round(seconds, 1)}
        print(f"   {variant}: {result['variants'][variant]}", flush=True)
    for baseline in ("without_item2vec", "without_item2vec_equal_quota"):
        result[f"ndcg_at_10_vs_{baseline}"] = {
            method: paired(ndcg["with_item2vec"][method], ndcg[baseline][method])
            for method in ndcg["with_item2vec"]
            if method in ndcg[baseline]
        }
        for method, row in result[f"ndcg_at_10_vs_{baseline}"].items():
            print(
                f"   {method} vs {baseline}: {row['with']:.4f} vs {row['without']:.4f}, difference "
                f"{row['difference']:+.4f} [{row['ci_low']:+.4f}, {row['ci_high']:+.4f}] ({row['relative']:+.1%})",
                flush=True,
            )
    return result


LABELS = {"served": "the served ranker", "lightgbm": "LightGBM", "logistic_regression": "logistic regression"}


def _cell(row: dict) -> str:
    return (
        f"{row['with']:.4f} vs {row['without']:.4f}: {row['difference']:+.4f} "
        f"[{row['ci_low']:+.4f}, {row['ci_high']:+.4f}] ({row['relative']:+.1%})"
    )


def tables(ablation: dict, quality: dict[str, dict]) -> str:
    """The README's tuning and ablation tables, from this script's results and bench/item2vec.py's."""
    lines = [
        "| data | test baskets | popularity | word2vec defaults (0.75, 5 epochs) | project (1.0, 15 epochs) "
        "| purity@10 category: item2vec / co-occurrence / random | department |",
        "|---|---:|---|---|---|---|---|",
    ]
    for name, q in quality.items():
        test, purity = q["basket_completion_test"], q["purity_at_10"]

        def recall(r):
            return f"{r['recall_at_10']:.4f} [{r['ci_low']:.4f}, {r['ci_high']:.4f}]"

        lines.append(
            f"| {name} | {test['baskets']:,} | {recall(test['popularity'])} | {recall(test['word2vec_defaults'])} "
            f"| {recall(test['project'])} | {purity['category']['item2vec_project']:.3f} / "
            f"{purity['category']['cooccurrence_counts']:.3f} / {purity['category']['random']:.3f} "
            f"| {purity['department']['item2vec_project']:.3f} / {purity['department']['cooccurrence_counts']:.3f} / "
            f"{purity['department']['random']:.3f} |"
        )
    lines += [
        "",
        "| data | customers | pool per customer (with / without / equal quota) | pool recall (with / without / equal "
        "quota) | method | NDCG@10 with vs without | with vs without, equal quota |",
        "|---|---:|---|---|---|---|---|",
    ]
    for result in ablation["results"]:
        v = result["variants"]
        order = ("with_item2vec", "without_item2vec", "without_item2vec_equal_quota")
        sizes = " / ".join(f"{v[k]['candidates_per_customer']:.1f}" for k in order)
        recalls = " / ".join(f"{v[k]['pool_recall']:.3f}" for k in order)
        served = " / ".join(v[k]["served"] for k in order)
        for i, method in enumerate(result["ndcg_at_10_vs_without_item2vec"]):
            first = i == 0
            lines.append(
                f"| {result['name'] if first else ''} | {v['with_item2vec']['customers'] if first else ''} "
                f"| {sizes if first else ''} | {recalls if first else ''} "
                f"| {LABELS[method]}{f' ({served})' if method == 'served' else ''} "
                f"| {_cell(result['ndcg_at_10_vs_without_item2vec'][method])} "
                f"| {_cell(result['ndcg_at_10_vs_without_item2vec_equal_quota'][method])} |"
            )
    return "\n".join(lines)


def write_readme(ablation: dict) -> None:
    quality = {}
    for name in ("50k_default", "completejourney"):
        path = ROOT / "bench" / "results" / f"item2vec_{name}.json"
        if path.exists():
            quality[name] = json.loads(path.read_text())
    body = "\n".join(
        [
            f"Measured {ablation['measured_at']} (`python bench/item2vec_ablation.py`; tuning and purity "
            "from `bench/item2vec.py`), this project's machine (2 cores):",
            "",
            tables(ablation, quality),
        ]
    )
    write_section("item2vec", body, required=False)


def ablation_parser(description: str, output: str) -> argparse.ArgumentParser:
    """The options every ablation bench takes."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=[*CONFIGURATIONS, "completejourney"])
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / output))
    parser.add_argument("--readme-from", default=None, help="redraw the README tables from a saved run")
    return parser


def run_ablation(names: list[str], compare, output: Path) -> dict:
    """``compare(name, data, workdir, extra_vars)`` on each data set, landed in a throw-away
    folder; the report is rewritten to ``output`` after each."""
    report = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "results": []}
    with tempfile.TemporaryDirectory(prefix=f"{output.stem}_") as tmp:
        for name in names:
            print(f"== {name}", flush=True)
            workdir = Path(tmp) / name
            data, extra_vars, about = land(name, workdir)
            report["results"].append({**compare(name, data, workdir, extra_vars), **about})
            output.write_text(json.dumps(report, indent=1))
    print(f"written to {output}")
    return report


def main() -> None:
    args = ablation_parser(__doc__, "item2vec_ablation.json").parse_args()
    if args.readme_from:
        write_readme(json.loads(Path(args.readme_from).read_text()))
        return
    write_readme(run_ablation(args.only or [*DEFAULT_RUN, "completejourney"], compare, Path(args.output)))


if __name__ == "__main__":
    main()
