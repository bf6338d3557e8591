"""The Phase 2 scorecard: Phase 1 against each Phase 2 addition on main and their best
combination, paired per customer, on a matrix of generator configurations and The Complete
Journey.

Each data set is built twice from the same landing: without Item2Vec
(`--vars '{item2vec_enabled: false}'`: the four heuristic candidate strategies, no
similarity features) and with the project's defaults (the item2vec strategy and features).
Every ranker of metro_offers.ranking.rankers is then trained on each build's training pools,
sampled as the build samples them (var ranker_max_lists_per_pool), with the parameters its
validation chose, and ranks its evaluation pool: the offline evaluation's procedure. A
scorecard line is the ranker the build's selection rule would serve (best validation
NDCG@10, a baseline on ties) among the rankers that line allows:

    Phase 1         without Item2Vec; baselines, logistic regression, LightGBM
    + Item2Vec      with Item2Vec;    the same rankers
    + Wide & Deep   without Item2Vec; the same rankers and Wide & Deep
    Phase 2         with Item2Vec;    every ranker (what the build serves)

plus Wide & Deep against LightGBM on each build, whatever selection chose. The two builds'
evaluation pools hold the same customers and relevant offers, so each difference is paired:
a bootstrap over customers (lists on The Complete Journey) of the per-customer difference.

The Complete Journey follows its benchmark's protocol (`metro-offers benchmark
completejourney`: coupons of each campaign ranked per household, cutoff 2017-10-01).

    python bench/scorecard.py                          # every data set (about 35 min on 2 cores)
    python bench/scorecard.py --only 5k_60_offers_conv_0.01
    python bench/scorecard.py --readme-from bench/results/scorecard.json

Writes bench/results/scorecard.json and the README's scorecard table. dbt runs with its own
target and log folders, so the project's own dbt commands are not disturbed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from metro_offers.adapters import completejourney as cj
from metro_offers.adapters import completejourney_benchmark as cj_bench
from metro_offers.evaluation import method_scores
from metro_offers.evaluation_report import METHOD_LABELS
from metro_offers.metrics import list_metrics, mean_intervals, rank_within_customer, resample_weights
from metro_offers.pools import EVALUATION_POOL
from metro_offers.ranking.data import sample_training_lists
from metro_offers.ranking.rankers import RANKERS
from metro_offers.ranking.registry import live_entry

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from bench_settings import CLI, SAMPLES, SEED, VARS, K, isolated_env  # noqa: E402
from quality_matrix import CONFIGURATIONS, run  # noqa: E402 - the matrix's generator options and runner
from readme_sections import write_section  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "scorecard.json"
METRICS = ("ndcg", "recall", "mrr")
BUILDS = {"without_item2vec": {"item2vec_enabled": False}, "with_item2vec": {}}
PHASE_1_RANKERS = ("p_topfreq", "segment_popularity", "global_popularity", "logistic_regression", "lightgbm")
# line -> (build, the rankers its selection chooses among)
LINES = {
    "Phase 1": ("without_item2vec", PHASE_1_RANKERS),
    "+ Item2Vec": ("with_item2vec", PHASE_1_RANKERS),
    "+ Wide & Deep": ("without_item2vec", (*PHASE_1_RANKERS, "wide_deep")),
    "Phase 2 (all)": ("with_item2vec", tuple(RANKERS)),
}
REFERENCE = "Phase 1"
DEFAULT_RUN = [name for name in CONFIGURATIONS if not name.startswith("tiny_")] + ["completejourney"]
MAX_LISTS_PER_POOL = int(VARS["ranker_max_lists_per_pool"])


def environment(workdir: Path, build: str) -> dict:
    return isolated_env(workdir / f"{build}.duckdb", workdir / f"{build}.models", workdir)


def per_list(scores: dict[str, np.ndarray], group: np.ndarray, offer: np.ndarray, label, n_relevant) -> dict:
    """Per list (customer) NDCG@10, Recall@10 and MRR of every method."""
    return {
        method: list_metrics(group, rank_within_customer(group, score, offer), label, n_relevant, K)[list(METRICS)]
        for method, score in scores.items()
    }


def synthetic_build(workdir: Path, data: Path, build: str) -> tuple[dict, pd.DataFrame, float]:
    """(per-list metrics of every method, every ranker's validation NDCG@10, build seconds)."""
    env = environment(workdir, build)
    started = time.perf_counter()
    overrides = BUILDS[build]
    run([CLI, "build", "--data-dir", str(data), *(["--vars", json.dumps(overrides)] if overrides else [])], env)
    seconds = time.perf_counter() - started
    with duckdb.connect(env["METRO_WAREHOUSE"], read_only=True) as con:
        # the training pools sampled as the build samples them (its offline evaluation does the same)
        examples = sample_training_lists(con.table("marts.pool_examples"), MAX_LISTS_PER_POOL).df()
    entry = live_entry(Path(env["METRO_MODEL_STORE"]))
    candidates = examples[examples["pool"] == EVALUATION_POOL].sort_values(["customer_id", "offer_id"])
    candidates = candidates.reset_index(drop=True)
    scores = method_scores(examples, candidates, entry, None, SEED, echo=lambda _: None)
    metrics = per_list(
        scores,
        candidates["customer_id"].to_numpy(dtype=np.int64),
        candidates["offer_id"].to_numpy(dtype=np.int64),
        candidates["redeemed_in_window"].to_numpy(dtype=bool),
        candidates.groupby("customer_id")["relevant_offers"].first(),
    )
    return metrics, pd.DataFrame(entry["validation"]), seconds


def completejourney_build(workdir: Path, build: str) -> tuple[dict, pd.DataFrame, float]:
    env = environment(workdir, build)
    data = workdir / "cj"
    started = time.perf_counter()
    overrides = BUILDS[build]
    command = [CLI, "benchmark", "completejourney", "--data-dir", str(data), "--bootstrap-samples", "10"]
    run([*command, *(["--vars", json.dumps(overrides)] if overrides else [])], env)
    seconds = time.perf_counter() - started
    with duckdb.connect(env["METRO_WAREHOUSE"], read_only=True) as con:
        examples = con.sql("select * from marts.training_examples").df()
        offers = con.sql("select offer_id, start_date, end_date from staging.stg_metro__offers").df()
    keys = pd.read_parquet(data / cj.OFFER_KEYS)
    ranked, scores, selection = cj_bench.coupon_scores(
        cj.load_source(None), examples, offers, keys, cj_bench.DEFAULT_CUTOFF, SEED, echo=lambda _: None
    )
    metrics = per_list(scores, ranked.group, ranked.offer, ranked.label, ranked.n_relevant)
    return metrics, selection.validation, seconds


def selected(validation: pd.DataFrame, allowed: tuple[str, ...]) -> str:
    """The ranker the build's rule serves among ``allowed``: the best validation NDCG@10,
    the first in RANKERS' order (baselines first) on ties."""
    ndcg = validation.set_index("method").ndcg_at_10
    candidates = [name for name in RANKERS if name in allowed and name in ndcg.index]
    return max(candidates, key=lambda name: (ndcg[name], -candidates.index(name)))


def interval(values: pd.Series) -> dict:
    row = mean_intervals(values.to_frame(), resample_weights(len(values), SAMPLES, SEED)).iloc[0]
    return {key: round(float(value), 4) for key, value in row.items()}


def paired(a: pd.Series, b: pd.Series) -> dict:
    """a - b over the lists both hold, with the bootstrap interval, relative to b's mean."""
    both = pd.concat([a.rename("a"), b.rename("b")], axis=1).dropna()
    difference = interval(both["a"] - both["b"])
    reference = float(both["b"].mean())
    return {**difference, "relative": round(difference["value"] / reference, 4) if reference else None}


def score_data_set(name: str, metrics: dict, validation: dict, seconds: dict) -> dict:
    lines = {}
    for line, (build, allowed) in LINES.items():
        method = selected(validation[build], allowed)
        lines[line] = {"build": build, "served": method, **{m: interval(metrics[build][method][m]) for m in METRICS}}
    reference = lines[REFERENCE]
    for row in lines.values():
        ours = metrics[row["build"]][row["served"]]["ndcg"]
        row["ndcg_vs_phase_1"] = paired(ours, metrics[reference["build"]][reference["served"]]["ndcg"])
    wide_deep_vs_lightgbm = {
        build: paired(metrics[build]["wide_deep"]["ndcg"], metrics[build]["lightgbm"]["ndcg"])
        for build in BUILDS
        if "wide_deep" in metrics[build] and "lightgbm" in metrics[build]
    }
    lists = {build: len(next(iter(metrics[build].values()))) for build in BUILDS}
    return {
        "name": name,
        "lists": lists,
        "build_seconds": seconds,
        "lines": lines,
        "wide_deep_vs_lightgbm_ndcg": wide_deep_vs_lightgbm,
        "validation": {build: validation[build].round(4).to_dict("records") for build in BUILDS},
    }


def measure(name: str, workdir: Path) -> dict:
    metrics, validation, seconds = {}, {}, {}
    if name == "completejourney":
        for build in BUILDS:
            metrics[build], validation[build], seconds[build] = completejourney_build(workdir, build)
    else:
        data = workdir / "data"
        run([CLI, "generate", "--data-dir", str(data), *CONFIGURATIONS[name].split()], dict(os.environ))
        for build in BUILDS:
            metrics[build], validation[build], seconds[build] = synthetic_build(workdir, data, build)
    return score_data_set(name, metrics, validation, {b: round(s, 1) for b, s in seconds.items()})


def _value(row: dict) -> str:
    return f"{row['value']:.3f} [{row['ci_low']:.3f}, {row['ci_high']:.3f}]"


def _gain(row: dict) -> str:
    relative = f" ({row['relative']:+.1%})" if row.get("relative") is not None else ""
    return f"{row['value']:+.4f} [{row['ci_low']:+.4f}, {row['ci_high']:+.4f}]{relative}"


def table(results: list[dict]) -> str:
    lines = [
        "| data | line | served | NDCG@10 | Recall@10 | MRR | NDCG@10 − Phase 1 (paired) |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for line, row in result["lines"].items():
            gain = "—" if line == REFERENCE else _gain(row["ndcg_vs_phase_1"])
            lines.append(
                f"| {result['name']} | {line} | {METHOD_LABELS.get(row['served'], row['served'])} "
                f"| {_value(row['ndcg'])} | {_value(row['recall'])} | {_value(row['mrr'])} | {gain} |"
            )
    lines += [
        "",
        "| data | Wide & Deep − LightGBM, NDCG@10 (paired), without Item2Vec | with Item2Vec |",
        "|---|---|---|",
    ]
    for result in results:
        cells = [_gain(result["wide_deep_vs_lightgbm_ndcg"][b]) for b in BUILDS]
        lines.append(f"| {result['name']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=[*CONFIGURATIONS, "completejourney"], default=DEFAULT_RUN)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--readme-from", type=Path, default=None, help="Redraw the README table from this JSON.")
    args = parser.parse_args()
    if args.readme_from:
        write_section("scorecard", table(json.loads(args.readme_from.read_text())["results"]))
        return
    results = []
    for name in args.only:
        print(f"[scorecard] {name}", flush=True)
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"scorecard_{name}_") as workdir:
            result = measure(name, Path(workdir))
        results.append(result)
        for line, row in result["lines"].items():
            print(
                f"   {line}: {row['served']} NDCG@10 {_value(row['ndcg'])}, vs Phase 1 {_gain(row['ndcg_vs_phase_1'])}",
                flush=True,
            )
        print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
        report = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "results": results}
        args.output.write_text(json.dumps(report, indent=2))
    if args.output == RESULTS and args.only == DEFAULT_RUN:
        write_section("scorecard", table(results))
    print(table(results))


if __name__ == "__main__":
    main()
