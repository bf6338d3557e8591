"""What Item2Vec costs a build: the same landing built three times in a row, in fresh
warehouses, on one machine -

1. without Item2Vec (`--vars '{item2vec_enabled: false}'`), an empty model store;
2. with it and an empty model store (every anchor is trained: a first build, or the day the
   anchor grid moves);
3. and 4. both again, each on its own store (the rankers and the anchors are reused: a daily
   build's case);

each with its wall time and the seconds of the Item2Vec models (dbt's run_results.json).

    python bench/item2vec_cost.py --data-dir data --name 50k_default

Writes bench/results/item2vec_cost_<name>.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

from bench_settings import CLI, isolated_env

ROOT = Path(__file__).resolve().parents[1]
ITEM2VEC_MODELS = (
    "item2vec_embeddings",
    "item2vec_customer_vectors",
    "item2vec_offer_vectors",
    "item2vec_retrieval",
    "int_candidates_item2vec",
    "item2vec_product_map",
)
STEPS = (
    ("without_item2vec", {"item2vec_enabled": False}, "without"),
    ("with_item2vec_trained", {}, "with"),
    ("without_item2vec_reused", {"item2vec_enabled": False}, "without"),
    ("with_item2vec_reused", {}, "with"),
)


def build(data: Path, workdir: Path, name: str, overrides: dict, store: str) -> dict:
    env = isolated_env(workdir / f"{name}.duckdb", workdir / f"store_{store}", workdir / name)
    target = Path(env["DBT_TARGET_PATH"])
    command = [CLI, "build", "--data-dir", str(data), *(["--vars", json.dumps(overrides)] if overrides else [])]
    started = time.perf_counter()
    completed = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    results = json.loads((target / "run_results.json").read_text())["results"]
    timing = {r["unique_id"].split(".")[-1]: round(r["execution_time"], 2) for r in results}
    return {
        "seconds": round(seconds, 1),
        "item2vec_model_seconds": {m: timing.get(m) for m in ITEM2VEC_MODELS},
        "log": [line for line in completed.stdout.splitlines() if line.startswith("[item2vec]")],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data")
    parser.add_argument("--name", required=True)
    args = parser.parse_args()
    report = {"name": args.name, "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "steps": {}}
    with tempfile.TemporaryDirectory(prefix="item2vec_cost_") as tmp:
        for name, overrides, store in STEPS:
            report["steps"][name] = build(args.data_dir.resolve(), Path(tmp), name, overrides, store)
            print(f"{name}: {report['steps'][name]['seconds']} s", flush=True)
    steps = report["steps"]
    report["growth"] = {
        "first_build": round(steps["with_item2vec_trained"]["seconds"] / steps["without_item2vec"]["seconds"] - 1, 3),
        "reused_build": round(
            steps["with_item2vec_reused"]["seconds"] / steps["without_item2vec_reused"]["seconds"] - 1, 3
        ),
    }
    print(json.dumps(report["growth"]))
    out = ROOT / "bench" / "results" / f"item2vec_cost_{args.name}.json"
    out.write_text(json.dumps(report, indent=1))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
