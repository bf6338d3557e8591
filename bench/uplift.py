"""Uplift learners on the default data, a matrix of generated configurations and The Complete
Journey: the harness's results (marts.uplift_evaluation) and what training all learners costs.

For each synthetic configuration the data is generated and fully built (its own warehouse and
model store); `50k_default` uses the project's built warehouse when it is given
(`--default-warehouse`). Then the S-, T- and X-learner are fitted
in-process on the build's uplift_examples train split, timed (seconds and peak RSS of this
process). The Complete Journey is landed and built too, to record that no uplift is estimated
there (no randomised control group) rather than an observational number.

    python bench/uplift.py --default-warehouse warehouse/metro_offers.duckdb
    python bench/uplift.py --only 20k_small_baskets_conv_0.06

Writes bench/results/uplift.json (merged by configuration) and the README's uplift tables.
"""

from __future__ import annotations

import datetime as dt
import resource
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

from metro_offers.anchors import anchor_date
from metro_offers.uplift.learners import UpliftSettings
from metro_offers.uplift.training import train
from metro_offers.var_settings import settings_from_vars

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from bench_settings import VARS  # noqa: E402
from item2vec_ablation import build, land  # noqa: E402 - the matrix's landing and build
from matrix_bench import run_matrix  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "uplift.json"
DEFAULT_RUN = ["50k_default", "10k_400_offers_conv_0.02", "20k_small_baskets_conv_0.06", "completejourney"]


def evaluation(warehouse: Path) -> tuple[list[dict], list[dict]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        table = con.sql("select * from marts.uplift_evaluation order by evaluation, method, metric").df()
        registry = con.sql(
            "select learner, is_serving, validation_qini, training_rows, training_shown_rows, rounds "
            "from marts.uplift_model_registry"
        ).df()
    return table.round(6).to_dict("records"), registry.to_dict("records")


def training_cost(warehouse: Path) -> dict:
    """Fit every learner on the build's train split; seconds and this process's peak RSS."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        run_date = con.sql("select max(run_date) from marts.recommendations").fetchall()[0][0]
        examples = con.sql("select * from marts.uplift_examples where split = 'train'").df()
    evaluation_cutoff = pd.Timestamp(run_date).date() - dt.timedelta(days=VARS["evaluation_holdout_days"])
    cutoff = anchor_date(evaluation_cutoff, VARS["uplift_every_days"])
    settings = settings_from_vars(UpliftSettings, "uplift", VARS)
    started = time.perf_counter()
    learners, meta = train(examples, cutoff, VARS["uplift_validation_days"], settings, echo=lambda _: None)
    seconds = time.perf_counter() - started
    return {
        "fit_all_learners_seconds": round(seconds, 1),
        "training_rows": meta["training_rows"],
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2),
        "rounds": {name: learner.rounds() for name, learner in learners.items()},
    }


def measure(name: str, workdir: Path, default_warehouse: Path | None) -> dict:
    if name == "50k_default" and default_warehouse is not None:
        warehouse, seconds, described = default_warehouse, None, {"options": "", "warehouse": str(default_warehouse)}
    else:
        data, extra_vars, described = land(name, workdir)
        warehouse, _, seconds = build(data, workdir, "uplift", extra_vars)
    result = {"name": name, **described, "build_seconds": None if seconds is None else round(seconds, 1)}
    result["evaluation"], result["registry"] = evaluation(warehouse)
    if result["registry"]:
        result["cost"] = training_cost(warehouse)
    else:
        result["note"] = "no randomised control group: no uplift learner trained, no uplift number reported"
    return result


def _value(rows: list[dict], evaluation_name: str, method: str, metric: str) -> str:
    for row in rows:
        if (row["evaluation"], row["method"], row["metric"]) == (evaluation_name, method, metric):
            if row["ci_low"] is None or pd.isna(row["ci_low"]):
                return f"{row['value']:.3f}"
            return f"{row['value']:.4f} [{row['ci_low']:.4f}, {row['ci_high']:.4f}]"
    return "-"


def tables(results: dict[str, dict]) -> str:
    lines = [
        "| data | evaluated impressions | method | Qini | share of oracle's Qini | true Qini | uplift@10% "
        "| Spearman with true uplift |",
        "|---|---:|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        if not r["registry"]:
            lines.append(f"| {name} | - | {r['note']} | | | | | |")
            continue
        rows = r["evaluation"]
        n = next(row["rows"] for row in rows if row["evaluation"] == "targeting")
        for method in ("s_learner", "t_learner", "x_learner", "random", "oracle"):
            lines.append(
                f"| {name} | {n:,} | {method} | {_value(rows, 'targeting', method, 'qini')} "
                f"| {_value(rows, 'targeting', method, 'qini_share_of_oracle')} "
                f"| {_value(rows, 'targeting', method, 'true_qini')} "
                f"| {_value(rows, 'targeting', method, 'uplift_at_10')} "
                f"| {_value(rows, 'targeting', method, 'spearman_true_uplift')} |"
            )
    lines += [
        "",
        "| data | served learner (validation Qini S / T / X) | policy (top-10 lists) "
        "| incremental redemptions / customer | incremental margin / customer (EUR) "
        "| margin gain over P(redeem) ranking |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        if not r["registry"]:
            continue
        qini = {row["learner"]: row["validation_qini"] for row in r["registry"]}
        served = next(row["learner"] for row in r["registry"] if row["is_serving"])
        chosen = f"{served} ({qini['s_learner']:.4f} / {qini['t_learner']:.4f} / {qini['x_learner']:.4f})"
        for policy in ("p_redeem", "uplift", "incremental_margin", "oracle"):
            cells = [
                _value(r["evaluation"], "top_k_lists", policy, metric)
                for metric in (
                    "incremental_redemptions_per_customer",
                    "incremental_margin_per_customer",
                    "incremental_margin_gain_over_p_redeem_per_customer",
                )
            ]
            if cells[1] != "-":
                lines.append(f"| {name} | {chosen} | {policy} | {' | '.join(cells)} |")
                name, chosen = "", ""
    lines += ["", "| data | training rows | fit all learners (s) | peak RSS (GB) |", "|---|---:|---:|---:|"]
    for name, r in results.items():
        if "cost" in r:
            c = r["cost"]
            lines.append(f"| {name} | {c['training_rows']:,} | {c['fit_all_learners_seconds']} | {c['peak_rss_gb']} |")
    return "\n".join(lines)


def main() -> None:
    run_matrix(
        __doc__,
        DEFAULT_RUN,
        RESULTS,
        "uplift",
        measure,
        tables,
        lambda result: {k: v for k, v in result.items() if k not in ("evaluation", "registry")},
    )


if __name__ == "__main__":
    main()
