"""Does SASRec's probability of an offer's products help the offer rankers? Paired ablation.

For each data set two warehouses are built from the same landing: with the feature
(`sasrec_offer_feature_enabled: true`: one SASRec per pool anchor, `sasrec_offer_probability`
through ranker_features) and without it (the feature null). Everything else is the project's
defaults, so the evaluation pools are identical and per-customer NDCG@10 is paired: the
interval is a bootstrap over customers of the with-minus-without difference. Methods: the
ranker each build served, and LightGBM and logistic regression refitted on each build's
training pools with its registered parameters (as bench/item2vec_ablation.py). Also the time
the feature's model took in the build (training every anchor and scoring every request).

    python bench/sasrec_feature_ablation.py             # default, two matrix configs, CJ
    python bench/sasrec_feature_ablation.py --only 20k_small_baskets_conv_0.06

Writes bench/results/sasrec_feature_ablation.json and the README's section
`sasrec_feature` (`--readme-from FILE` redraws it).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from item2vec_ablation import LABELS, ablation_parser, build, paired, per_customer_ndcg, run_ablation  # noqa: E402
from readme_sections import write_section  # noqa: E402

DEFAULT_RUN = ["50k_default", "20k_small_baskets_conv_0.06", "20k_rare_visits_conv_0.03", "completejourney"]
VARIANTS = {
    "with_sasrec_feature": {"sasrec_offer_feature_enabled": True},
    "without_sasrec_feature": {"sasrec_offer_feature_enabled": False},
}
MODEL = "sasrec_offer_probabilities"


def model_seconds(workdir: Path) -> float | None:
    """The feature model's time in the last build's dbt log (its 'OK created' line)."""
    log = workdir / "logs" / "dbt.log"
    if not log.exists():
        return None
    found = re.findall(rf"OK created python table model ml\.{MODEL}.*?in ([0-9.]+)s", log.read_text())
    return float(found[-1]) if found else None


def compare(name: str, data: Path, workdir: Path, extra_vars: dict) -> dict:
    result = {"name": name, "variants": {}}
    ndcg = {}
    for variant, overrides in VARIANTS.items():
        (workdir / "logs").mkdir(parents=True, exist_ok=True)
        (workdir / "logs" / "dbt.log").unlink(missing_ok=True)
        warehouse, store, seconds = build(data, workdir, variant, {**extra_vars, **overrides})
        ndcg[variant], pool = per_customer_ndcg(warehouse, store)
        result["variants"][variant] = {
            **pool,
            "build_seconds": round(seconds, 1),
            "feature_model_seconds": model_seconds(workdir),
        }
        print(f"   {variant}: {result['variants'][variant]}", flush=True)
    result["ndcg_at_10"] = {
        method: paired(ndcg["with_sasrec_feature"][method], ndcg["without_sasrec_feature"][method])
        for method in ndcg["with_sasrec_feature"]
        if method in ndcg["without_sasrec_feature"]
    }
    for method, row in result["ndcg_at_10"].items():
        print(
            f"   {method}: {row['with']:.4f} vs {row['without']:.4f}, difference {row['difference']:+.4f} "
            f"[{row['ci_low']:+.4f}, {row['ci_high']:+.4f}] ({row['relative']:+.1%})",
            flush=True,
        )
    return result


def table(report: dict) -> str:
    lines = [
        f"Measured {report['measured_at']} (`python bench/sasrec_feature_ablation.py`), this project's "
        "machine (2 cores); NDCG@10 on the evaluation pool with vs without `sasrec_offer_probability`, "
        "paired over the same customers, bootstrap 95% interval of the difference:",
        "",
        "| data | customers | served (with / without) | method | NDCG@10 with vs without | build s (with / without) "
        "| feature model s |",
        "|---|---:|---|---|---|---|---:|",
    ]
    for result in report["results"]:
        with_, without = result["variants"]["with_sasrec_feature"], result["variants"]["without_sasrec_feature"]
        for i, (method, row) in enumerate(result["ndcg_at_10"].items()):
            first = i == 0
            cell = (
                f"{row['with']:.4f} vs {row['without']:.4f}: {row['difference']:+.4f} "
                f"[{row['ci_low']:+.4f}, {row['ci_high']:+.4f}] ({row['relative']:+.1%})"
            )
            lines.append(
                f"| {result['name'] if first else ''} | {with_['customers'] if first else ''} "
                f"| {with_['served'] + ' / ' + without['served'] if first else ''} | {LABELS[method]} | {cell} "
                f"| {str(with_['build_seconds']) + ' / ' + str(without['build_seconds']) if first else ''} "
                f"| {with_['feature_model_seconds'] if first else ''} |"
            )
    return "\n".join(lines)


def main() -> None:
    args = ablation_parser(__doc__, "sasrec_feature_ablation.json").parse_args()
    report = (
        json.loads(Path(args.readme_from).read_text())
        if args.readme_from
        else run_ablation(args.only or DEFAULT_RUN, compare, Path(args.output))
    )
    write_section("sasrec_feature", table(report))


if __name__ == "__main__":
    main()
