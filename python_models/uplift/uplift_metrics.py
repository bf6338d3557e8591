"""The uplift harness (logic: metro_offers.uplift.evaluation): on the randomised impressions
after the cutoff, each learner's Qini coefficient, AUUC and uplift@10%/30% beside random
targeting and, on synthetic data, the oracle; and, with the truth, what each policy's top-k
lists of the evaluation pool would deliver (redemptions, incremental redemptions, incremental
margin). Also each method's Qini curve, read by uplift_curves. On the study schedule
(metro_offers.studies). Empty when uplift was not estimated (no randomised control group)."""

from pathlib import Path

import numpy as np
import pandas as pd

from metro_offers.arrow_tables import typed_table
from metro_offers.evaluation import truth_columns
from metro_offers.pools import EVALUATION_POOL
from metro_offers.ranking.features import feature_matrix
from metro_offers.ranking.registry import live_entry
from metro_offers.ranking.scoring import score_candidates
from metro_offers.studies import scheduled
from metro_offers.uplift import store
from metro_offers.uplift.evaluation import evaluate_lists, evaluate_targeting, qini_curves, targeting_inputs

COLUMNS = {
    "evaluation": "string",
    "method": "string",
    "metric": "string",
    "value": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "rows": "int64",
}


def list_pool(dbt, meta, registry, truth_dir) -> pd.DataFrame | None:
    """The evaluation pool with the live ranker's P(redeem), the serving learner's uplift, the
    offer's economics and the true probabilities; None without truth."""
    model_store = Path(meta["model_store_dir"])
    pool = dbt.ref("pool_examples").filter(f"pool = '{EVALUATION_POOL}'").df()
    truth = truth_columns(truth_dir, pool, ("p_redeem_if_shown", "p_buy_if_not_shown"))
    if pool.empty or truth is None:
        return None
    dbt.ref("ranker_training")  # the live ranker registered or kept by this build
    entry = live_entry(model_store)
    p_redeem = score_candidates([pool[["customer_id", "offer_id", *entry["features"]]]], entry)["score"].to_numpy()
    learners, features = store.registered_learners(model_store, registry)
    learner = learners[store.serving_name(registry)]
    economics = dbt.ref("int_offer_economics").project("offer_id, base_price, unit_cost").df()
    return (
        pool[["customer_id", "offer_id", "discount_pct"]]
        .assign(
            p_redeem=p_redeem,
            uplift=learner.predict(feature_matrix(pool, features))["uplift"].to_numpy(),
            true_p_if_shown=truth["p_redeem_if_shown"].to_numpy(),
            true_p_if_not_shown=truth["p_buy_if_not_shown"].to_numpy(),
        )
        .merge(economics, on="offer_id", how="left", validate="many_to_one")
    )


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    registry = dbt.ref("uplift_training").df()
    if registry.empty:
        return typed_table(None, COLUMNS)
    model_store = Path(meta["model_store_dir"])

    def judge() -> dict[str, pd.DataFrame]:
        truth_dir = Path(meta["truth_root"])  # truth_columns finds none where it does not exist
        samples, seed = int(meta["bootstrap_samples"]), int(meta["seed"])
        rows, scores = targeting_inputs(dbt.ref("uplift_examples"), dbt.ref("uplift_scores").df(), truth_dir, seed)
        control = int((~rows.shown).sum())
        print(f"[uplift] judging {len(scores)} methods on {len(rows):,} impressions ({control:,} control)")
        parts = [evaluate_targeting(rows, scores, samples, seed)]
        pool = list_pool(dbt, meta, registry, truth_dir)
        if pool is None:
            print("[uplift] no truth for the evaluation pool: the policies' top-k lists are not scored")
        else:
            parts.append(evaluate_lists(pool, int(meta["k"]), samples, seed))
        result = pd.concat(parts, ignore_index=True)
        result["value"] = result["value"].replace([np.inf, -np.inf], np.nan)
        return {"metrics": result, "curves": qini_curves(rows, scores, seed)}

    key = store.harness_key(meta, registry, model_store)
    return typed_table(scheduled(model_store, store.HARNESS_STUDY, key, judge)["metrics"], COLUMNS)
