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
from metro_offers.ranking.scoring import SCORING_BATCH_ROWS, score_candidates
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
    offer's economics and the true probabilities; None without truth. Scored in batches, so
    only these few columns of the pool are held at once, not its features."""
    model_store = Path(meta["model_store_dir"])
    dbt.ref("ranker_training")  # the live ranker registered or kept by this build
    entry = live_entry(model_store)
    learners, features = store.registered_learners(model_store, registry)
    learner = learners[store.serving_name(registry)]
    columns = dict.fromkeys(["customer_id", "offer_id", "discount_pct", *entry["features"], *features])
    pool = dbt.ref("pool_examples").filter(f"pool = '{EVALUATION_POOL}'").project(", ".join(columns))

    def scored():
        for batch in pool.fetch_arrow_reader(SCORING_BATCH_ROWS):
            frame = batch.to_pandas()
            p_redeem = score_candidates([frame[["customer_id", "offer_id", *entry["features"]]]], entry)["score"]
            yield frame[["customer_id", "offer_id", "discount_pct"]].assign(
                p_redeem=p_redeem.to_numpy(),
                uplift=learner.predict(feature_matrix(frame, features))["uplift"].to_numpy(),
            )

    parts = list(scored())
    if not parts:
        return None
    scores = pd.concat(parts, ignore_index=True)
    truth = truth_columns(truth_dir, scores, ("p_redeem_if_shown", "p_buy_if_not_shown"))
    if truth is None:
        return None
    economics = dbt.ref("int_offer_economics").project("offer_id, base_price, unit_cost").df()
    return scores.assign(
        true_p_if_shown=truth["p_redeem_if_shown"].to_numpy(),
        true_p_if_not_shown=truth["p_buy_if_not_shown"].to_numpy(),
    ).merge(economics, on="offer_id", how="left", validate="many_to_one")


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
