"""How the rankers should learn: the alternatives measured on a built warehouse.

Every alternative is trained on data before the evaluation cutoff and ranks the same
evaluation pool (marts.pool_examples, pool 'evaluation'); NDCG@10 with a 95% bootstrap
interval over customers and, on synthetic data, the exposure-free expected redemptions of the
top 10 under the true probabilities as a share of the oracle's.

- pool_lambdarank / pool_binary / pool_logistic: LightGBM LambdaRank, LightGBM binary and
  logistic regression on the training pools (the ranking task itself), validated on
  training_1, on the sampled lists the build uses;
- pool_lambdarank_all_lists: the same on every list (no sampling);
- impressions_binary: LightGBM binary on every shown impression whose label closed by the
  cutoff (training_examples, P(redeem within 7 days | shown)) - how the rankers learned
  before, with today's features;
- the baselines.

    python bench/ranker_training_choice.py --warehouse W --truth DATA/truth [--output FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from bench_settings import VARS, K

from metro_offers.evaluation import load_truth
from metro_offers.metrics import bootstrap_means, list_metrics, rank_within_customer, resample_weights
from metro_offers.ranking.data import RankingData, sample_training_lists
from metro_offers.ranking.features import NUMERIC_FEATURES, ranker_features
from metro_offers.ranking.rankers import BASELINES, RANKERS, LightGBMRanker, LogisticRegressionRanker
from metro_offers.ranking.rankers.lightgbm_ranker import LightGBMBinaryRanker
from metro_offers.ranking.selection import validation_split

MAX_LISTS = int(VARS["ranker_max_lists_per_pool"])


def impression_data(examples: pd.DataFrame, features) -> tuple[RankingData, RankingData]:
    """Shown impressions as one-row 'lists' for a pointwise learner; the latest fifth of the
    weeks validates (early stopping)."""
    train = examples[examples.split == "train"].copy()
    weeks = np.sort(train.feature_as_of_date.unique())
    first_valid = weeks[-max(1, round(len(weeks) / 5))]
    train["pool"] = np.where(train.feature_as_of_date >= first_valid, "valid", "fit")
    train["customer_id"] = train.impression_id  # a list per impression: pointwise
    train["redeemed_in_window"] = train.label
    train["relevant_offers"] = 1
    return (
        RankingData.from_pool_examples(train[train.pool == "fit"], features),
        RankingData.from_pool_examples(train[train.pool == "valid"], features),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--truth", default=None, help="the data set's truth folder (synthetic data)")
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    with duckdb.connect(args.warehouse, read_only=True) as con:
        everything = con.sql("select * from marts.pool_examples").df()
        sampled = sample_training_lists(con.sql("select * from marts.pool_examples"), MAX_LISTS).df()
        examples = con.sql("select * from marts.training_examples where split = 'train'").df()
    features = ranker_features(everything.columns)
    impression_features = (*NUMERIC_FEATURES, "segment", "category_id")
    evaluated = everything[everything.pool == "evaluation"]
    data = RankingData.from_pool_examples(evaluated, features)
    ordered = evaluated.sort_values(["pool", "customer_id", "offer_id"]).reset_index(drop=True)
    truth = load_truth(Path(args.truth), ordered) if args.truth else None

    scores = {name: RANKERS[name]().score(data.x) for name in BASELINES}
    for name, ranker, frame in (
        ("pool_lambdarank", LightGBMRanker, sampled),
        ("pool_binary", LightGBMBinaryRanker, sampled),
        ("pool_logistic", LogisticRegressionRanker, sampled),
        ("pool_lambdarank_all_lists", LightGBMRanker, everything),
    ):
        fit, valid = validation_split(frame, features)
        scores[name] = ranker.fit(fit, valid).score(data.x)
        print(f"{name}: trained on {len(fit):,} rows", flush=True)
    fit, valid = impression_data(examples, impression_features)
    scores["impressions_binary"] = LightGBMBinaryRanker.fit(fit, valid).score(data.x[list(impression_features)])
    print(f"impressions_binary: trained on {len(fit):,} impressions", flush=True)
    if truth is not None:
        scores["oracle"] = truth.to_numpy()

    lists = int((data.n_relevant > 0).sum())
    weights = resample_weights(lists, 1000, 7)  # the same resamples for every method
    oracle_top = rank_within_customer(data.group, truth.to_numpy(), data.offer) <= K if truth is not None else None
    rows = []
    for name, score in scores.items():
        rank = rank_within_customer(data.group, score, data.offer)
        ndcg = list_metrics(data.group, rank, data.label, data.n_relevant, K)[["ndcg"]]
        low, high = np.nanpercentile(bootstrap_means(ndcg, weights), [2.5, 97.5])
        row = {"method": name, "ndcg_at_10": float(ndcg.ndcg.mean()), "ci_low": float(low), "ci_high": float(high)}
        if truth is not None:
            p = truth.to_numpy()
            row["expected_redemptions_share_of_oracle"] = float(p[rank <= K].sum() / p[oracle_top].sum())
        rows.append(row)
    table = pd.DataFrame(rows)
    print(table.round(4).to_string(index=False))
    if args.output:
        Path(args.output).write_text(json.dumps({"warehouse": args.warehouse, "results": rows}, indent=1))


if __name__ == "__main__":
    main()
