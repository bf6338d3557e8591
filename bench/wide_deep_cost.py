"""What Wide & Deep costs, beside LightGBM in the same run, on a built warehouse.

From the warehouse's pool_examples, sampled as the build samples them (var
ranker_max_lists_per_pool), each ranker is trained as a build trains it: fitted on the older
training pools and early-stopped on the validation pool (training_1), then refitted on every
labelled pool with the parameters validation chose. Then the serving pool of
candidate_features is read in the build's batches and scored (reading timed apart from
scoring). Wide & Deep is timed on the CPU with torch's default threads, and on a GPU as well
when one is present. The budgets (issue 14, default scale, 2 cores): training <= 90 s,
scoring the serving pool <= 20 s.

    python bench/wide_deep_cost.py --warehouse warehouse/metro_offers.duckdb --name 50k_default

Writes bench/results/wide_deep_cost_<name>.json and the README's cost line (default name only).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import duckdb

from metro_offers.pools import EVALUATION_POOL, is_training_pool
from metro_offers.ranking.data import sample_training_lists
from metro_offers.ranking.features import POOL_KEY_COLUMNS, POOL_LABEL_COLUMNS, ranker_features
from metro_offers.ranking.rankers import RANKERS
from metro_offers.ranking.scoring import SCORING_BATCH_ROWS
from metro_offers.ranking.selection import fit_ranker, validation_split

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from bench_settings import VARS  # noqa: E402
from readme_sections import write_section  # noqa: E402 - bench/ is not a package

RANKERS_TIMED = ("lightgbm", "wide_deep")
BUDGETS = {"training_seconds": 90, "scoring_seconds": 20}


def examples(con):
    relation = sample_training_lists(con.table("marts.pool_examples"), int(VARS["ranker_max_lists_per_pool"]))
    features = ranker_features(relation.columns)
    columns = [*POOL_KEY_COLUMNS, "as_of_date", "label_window_end", *POOL_LABEL_COLUMNS, *features]
    return relation.project(", ".join(dict.fromkeys(columns))).df(), features


def serving_batches(con, features):
    columns = ", ".join(["customer_id", "offer_id", *features])
    relation = con.table("marts.candidate_features").filter("pool = 'serving'").project(columns)
    return [batch.to_pandas() for batch in relation.fetch_arrow_reader(SCORING_BATCH_ROWS)]


def train(name: str, frame, features) -> tuple[object, dict]:
    ranker = RANKERS[name]
    started = time.perf_counter()
    fit, valid = validation_split(frame, features)
    chosen = ranker.fit(fit, valid)
    selection_seconds = time.perf_counter() - started
    labelled = frame[is_training_pool(frame["pool"]) | (frame["pool"] == EVALUATION_POOL)]
    started = time.perf_counter()
    model = fit_ranker(name, labelled, chosen.parameters(), features)
    refit_seconds = time.perf_counter() - started
    record = {
        "selection_fit_seconds": round(selection_seconds, 2),
        "refit_seconds": round(refit_seconds, 2),
        "training_seconds": round(selection_seconds + refit_seconds, 2),
        "parameters": chosen.parameters(),
        "validation_ndcg_at_10": round(valid.ndcg(chosen.score(valid.x), 10), 4),
    }
    if chosen.history():
        record["epochs_run"] = len(chosen.history())
    return model, record


def score(model, batches) -> float:
    from metro_offers.ranking.features import feature_matrix

    started = time.perf_counter()
    for batch in batches:
        model.score(feature_matrix(batch, model.features))
    return round(time.perf_counter() - started, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, default=ROOT / "warehouse" / "metro_offers.duckdb")
    parser.add_argument("--name", default="50k_default")
    args = parser.parse_args()
    import torch

    with duckdb.connect(str(args.warehouse), read_only=True) as con:
        frame, features = examples(con)
        started = time.perf_counter()
        batches = serving_batches(con, features)
        read_seconds = round(time.perf_counter() - started, 2)
    serving_rows = sum(len(b) for b in batches)
    print(f"[cost] {len(frame):,} pool rows to learn from; serving pool {serving_rows:,} rows read in {read_seconds} s")
    rankers = {}
    for name in RANKERS_TIMED:
        model, record = train(name, frame, features)
        record["scoring_seconds"] = score(model, batches)
        rankers[name] = record
        print(f"[cost] {name} (cpu): {record}", flush=True)
    if torch.cuda.is_available():  # the same fit on the GPU; scoring stays on the CPU
        _, record = train("wide_deep", frame, features)
        rankers["wide_deep_gpu_training"] = {**record, "device": torch.cuda.get_device_name(0)}
        print(f"[cost] wide_deep (gpu): {record}", flush=True)
    result = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "name": args.name,
        "machine": f"{platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads",
        "pool_rows": len(frame),
        "serving_rows": serving_rows,
        "serving_read_seconds": read_seconds,
        "budgets": BUDGETS,
        "rankers": rankers,
    }
    output = ROOT / "bench" / "results" / f"wide_deep_cost_{args.name}.json"
    output.write_text(json.dumps(result, indent=2))
    wide_deep, lightgbm = rankers["wide_deep"], rankers["lightgbm"]
    ratio = wide_deep["training_seconds"] / lightgbm["training_seconds"]
    line = (
        f"Measured {result['measured_at']} with `python bench/wide_deep_cost.py` on {args.name} "
        f"({result['machine']}): training (early-stopped fit + refit on {len(frame):,} pool rows) "
        f"**{wide_deep['training_seconds']} s** (budget {BUDGETS['training_seconds']} s; LightGBM "
        f"{lightgbm['training_seconds']} s, ratio {ratio:.1f}x), "
        f"best epoch {wide_deep['parameters']['epochs']} of {wide_deep['epochs_run']} run; scoring the serving pool "
        f"({serving_rows:,} rows) **{wide_deep['scoring_seconds']} s** (budget {BUDGETS['scoring_seconds']} s; "
        f"LightGBM {lightgbm['scoring_seconds']} s), reading it {read_seconds} s."
    )
    print(line)
    if args.name == "50k_default":
        write_section("wide_deep_cost", line)


if __name__ == "__main__":
    main()
