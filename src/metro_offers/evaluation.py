"""Offline evaluation of the rankers against baselines and the oracle.

One global cutoff (run_date minus var evaluation_holdout_days). The learned rankers are
trained exactly like the live one - on the training pools, with the parameters validation
chose (the registry entry's) - but only on pools whose labels closed by the cutoff. Every
method then ranks the same customers' full candidate pool as of the cutoff (the 'evaluation'
pool of pool_examples: every offer valid in the evaluation window that retrieval proposed),
and a customer's relevant offers are those redeemed in the window.

Methods: random, every ranker of metro_offers.ranking.rankers (the baselines - global and
segment popularity, P-TopFreq - and the learned ones), external rankers and, on synthetic
data, the oracle (the generator's true P(redeem | shown) from the truth folder). Metrics per
customer: NDCG@k, Precision@k, Recall@k, MRR, MAP@k, hit rate@k, intra-list diversity by
category and (with the truth) the expected redemptions of the top-k list under the true
probabilities as a share of the oracle's. Catalogue coverage of the lists, and AUC over the
pool's rows (and among customers active in the 90 days before the cutoff). Bootstrap 95%
intervals resample customers, the same resamples for every method. Every metric is also
split into repeat (the customer bought one of the offer's products before the cutoff) and
explore (not) relevant offers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from metro_offers.metrics import (
    PAIRED_GAIN,
    auc,
    bootstrap_means,
    intra_list_diversity,
    list_metrics,
    paired_gains,
    rank_within_customer,
    resample_weights,
)
from metro_offers.pools import EVALUATION_POOL, is_training_pool
from metro_offers.ranking.features import feature_matrix, ranker_features
from metro_offers.ranking.rankers import RANKERS
from metro_offers.ranking.registry import read_registry
from metro_offers.ranking.selection import fit_ranker
from metro_offers.studies import scheduled, stored_result, study_key

# the reference methods besides the rankers (named with their labels in seeds/evaluation_methods.csv)
RANDOM, ORACLE = "random", "oracle"
LIST_METRICS = ("ndcg", "precision", "recall", "mrr", "map", "hit_rate")
ACTIVE_DAYS = 90  # "active customer" for the second AUC: ordered in the 90 days before
AUC_SUBSETS = ("pool_rows", "active_customers_pool_rows")
EVALUATION_STUDY = "offline_evaluation"  # its folder in <model_store_dir>/studies


# ---------------------------------------------------------------- inputs
def truth_columns(
    truth_dir: Path | None, pairs: pd.DataFrame, columns: tuple[str, ...], partial: bool = False
) -> pd.DataFrame | None:
    """The truth's ``columns`` for each (customer_id, offer_id) row of pairs (pairs' index), or
    None when the truth folder is missing or does not cover every pair (real data has no truth);
    with ``partial``, pairs it does not cover get NaN instead (None only without a truth folder)."""
    import duckdb

    files = sorted((truth_dir / "offer_truth").glob("*.parquet")) if truth_dir else []
    if not files:
        return None
    con = duckdb.connect()
    keys = pairs[["customer_id", "offer_id"]].reset_index(drop=True)
    keys["row_number"] = np.arange(len(keys))
    con.register("pairs", keys)
    selected = ", ".join(f"truth.{c}" for c in columns)
    truth = con.sql(
        f"select pairs.row_number, {selected} from pairs left join read_parquet(?) as truth "
        "on pairs.customer_id = truth.customer_id and pairs.offer_id = truth.offer_id order by pairs.row_number",
        params=[[str(f) for f in files]],
    ).df()
    con.close()
    if not partial and truth[list(columns)].isna().any().any():
        return None
    return truth[list(columns)].set_axis(pairs.index)


def load_truth(truth_dir: Path, pairs: pd.DataFrame) -> pd.Series | None:
    """True P(redeem | shown) of each (customer_id, offer_id) row of pairs, or None without
    truth for every pair."""
    truth = truth_columns(truth_dir, pairs, ("p_redeem_if_shown",))
    return None if truth is None else truth["p_redeem_if_shown"]


def external_method_scores(candidates: pd.DataFrame, external: pd.DataFrame | None, echo=print) -> dict:
    """Scores that other rankers wrote for the evaluation pool (long rows: method,
    customer_id, offer_id, score), aligned to ``candidates``; a candidate a ranker did not
    score ranks last for it (and is counted)."""
    scores = {}
    if external is None or external.empty:
        return scores
    keys = candidates[["customer_id", "offer_id"]]
    for method, rows in external.groupby("method"):
        aligned = keys.merge(rows[["customer_id", "offer_id", "score"]], on=["customer_id", "offer_id"], how="left")
        missing = int(aligned.score.isna().sum())
        if missing:
            echo(f"[evaluate] {method}: {missing:,} of {len(keys):,} evaluation candidates unscored (ranked last)")
        scores[method] = aligned.score.fillna(-np.inf).to_numpy(dtype=float)
    return scores


def method_scores(
    examples: pd.DataFrame, candidates: pd.DataFrame, entry: dict, truth: pd.Series | None, seed: int, echo=print
) -> dict:
    """Each method's score for every evaluation candidate (higher = ranked first): random,
    every ranker (the learned ones refitted on the training pools with the parameters the
    live model's validation chose), and the oracle."""
    features = ranker_features(candidates.columns)
    x = feature_matrix(candidates, features)
    training = examples[is_training_pool(examples["pool"])]
    scores = {RANDOM: np.random.default_rng(seed).random(len(candidates))}
    for name, ranker in RANKERS.items():
        if not ranker.learned:
            scores[name] = ranker.fit().score(x)
        elif name in entry["parameters"]:
            echo(f"[evaluate] training {name} on the {training['pool'].nunique()} training pools")
            scores[name] = fit_ranker(name, training, entry["parameters"][name], features).score(x)
    if truth is not None:
        scores[ORACLE] = truth.to_numpy(dtype=float)
    return scores


# ---------------------------------------------------------------- evaluation
def evaluate(
    examples: pd.DataFrame,
    entry: dict,
    truth_dir: Path | None,
    k: int,
    bootstrap_samples: int,
    seed: int,
    external: pd.DataFrame | None = None,
    echo=print,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The long metric table: one row per (method, subset, metric) with the value, the
    bootstrap 95% interval and the number of customers it averages over; and the ROC and
    precision-recall curves. ``examples``: pool_examples (training and evaluation pools);
    ``entry``: the live model's registry entry (which rankers, with which parameters).
    ``external``: scores of other rankers for the evaluation pool (method, customer_id,
    offer_id, score), judged beside the built-in methods on the same customers, pools and
    resamples."""
    candidates = examples[examples["pool"] == EVALUATION_POOL]
    if candidates.empty:
        raise ValueError("the evaluation pool is empty: no customer redeemed an offer in the evaluation window")
    # the warehouse returns rows in no fixed order; a fixed order makes the random baseline reproducible
    candidates = candidates.sort_values(["customer_id", "offer_id"]).reset_index(drop=True)
    truth = load_truth(truth_dir, candidates) if truth_dir else None
    if truth is None:
        echo("[evaluate] no truth covering the evaluation pool: no oracle, no expected redemptions")
    scores = method_scores(examples, candidates, entry, truth, seed, echo=echo)
    clashes = set(external.method) & set(scores) if external is not None and len(external) else set()
    if clashes:
        raise ValueError(f"external rankers may not reuse built-in method names: {sorted(clashes)}")
    scores.update(external_method_scores(candidates, external, echo=echo))

    customer = candidates["customer_id"].to_numpy(dtype=np.int64)
    offer = candidates["offer_id"].to_numpy(dtype=np.int64)
    relevant = candidates["redeemed_in_window"].to_numpy(dtype=bool)
    repeat = candidates["bought_before"].to_numpy(dtype=bool)
    customers = np.unique(customer)
    all_relevant = candidates.groupby("customer_id")["relevant_offers"].first()
    subset_relevance = {"all": relevant, "repeat": relevant & repeat, "explore": relevant & ~repeat}
    n_relevant = {
        "all": all_relevant,
        **{
            name: pd.Series(rel, index=customer).groupby(level=0).sum().reindex(customers, fill_value=0)
            for name, rel in subset_relevance.items()
            if name != "all"
        },
    }
    echo(f"[evaluate] ranking {len(candidates):,} candidates of {len(customers):,} customers, {len(scores)} methods")

    per_customer: dict[tuple[str, str, str], pd.Series] = {}
    coverage: dict[str, float] = {}
    expected: dict[str, pd.Series] = {}
    for method, score in scores.items():
        rank = rank_within_customer(customer, score, offer)
        for subset, rel in subset_relevance.items():
            metrics = list_metrics(customer, rank, rel, n_relevant[subset], k)
            for metric in LIST_METRICS:
                per_customer[(method, subset, metric)] = metrics[metric]
        per_customer[(method, "all", "intra_list_diversity")] = intra_list_diversity(
            customer, rank, candidates["category_id"].to_numpy(), k
        )
        coverage[method] = len(np.unique(offer[rank <= k])) / len(np.unique(offer))
        if truth is not None:
            top = rank <= k
            expected[method] = (
                pd.Series(truth.to_numpy()[top], index=customer[top]).groupby(level=0).sum().reindex(customers)
            )

    for method, gain in paired_gains({method: per_customer[(method, "all", "ndcg")] for method in scores}).items():
        per_customer[(method, "all", PAIRED_GAIN)] = gain
    table = pd.DataFrame(per_customer).reindex(customers)
    weights = resample_weights(len(customers), bootstrap_samples, seed)
    replicates = bootstrap_means(table, weights)
    rows = []
    for column, (method, subset, metric) in enumerate(table.columns):
        values = table.iloc[:, column]
        low, high = np.nanpercentile(replicates[:, column], [2.5, 97.5])
        rows.append(_row(method, subset, metric, values.mean(), int(values.notna().sum()), low, high))
    for method, value in coverage.items():
        rows.append(_row(method, "all", "catalogue_coverage", value, len(customers)))
    if truth is not None:
        oracle_replicates = weights @ expected[ORACLE].to_numpy()
        n = len(customers)
        for method, totals in expected.items():
            replicate_totals = weights @ totals.to_numpy()
            share = totals.sum() / expected[ORACLE].sum()
            low, high = np.percentile(replicate_totals / oracle_replicates, [2.5, 97.5])
            rows.append(_row(method, "all", "expected_redemptions_share_of_oracle", share, n, low, high))
            low, high = np.percentile(replicate_totals / n, [2.5, 97.5])
            rows.append(_row(method, "all", "expected_redemptions_per_customer", totals.mean(), n, low, high))
    auc_rows, curves = pool_row_evaluation(candidates, scores)
    result = pd.DataFrame(rows + auc_rows)
    validation = {row["method"]: row["ndcg_at_10"] for row in entry["validation"]}
    result["validation_ndcg_at_10"] = result["method"].map(validation).astype(float)
    return result, curves


def _row(method, subset, metric, value, customers, ci_low=np.nan, ci_high=np.nan) -> dict:
    return {
        "method": method,
        "subset": subset,
        "metric": metric,
        "value": float(value),
        "ci_low": float(ci_low),
        "ci_high": float(ci_high),
        "customers": int(customers),
    }


def pool_row_evaluation(candidates: pd.DataFrame, scores: dict) -> tuple[list[dict], pd.DataFrame]:
    """AUC of every method over the evaluation pool's rows (redeemed or not), and among
    customers who ordered in the 90 days before the cutoff: a model that only learned 'has
    orders' scores high on the first and low on the second. Also the ROC and
    precision-recall curves (CURVE_POINTS points each) of the learned rankers, random and the
    oracle."""
    labels = candidates["redeemed_in_window"].to_numpy(dtype=bool)
    active = (candidates["recency_days"].astype("float64") <= ACTIVE_DAYS).to_numpy(dtype=bool)
    customers = candidates.customer_id.nunique()
    active_customers = candidates.customer_id[active].nunique()
    rows, curves = [], []
    for method, score in scores.items():
        rows.append(_row(method, AUC_SUBSETS[0], "auc", auc(labels, score), customers))
        rows.append(_row(method, AUC_SUBSETS[1], "auc", auc(labels[active], score[active]), active_customers))
        if method in (RANDOM, ORACLE) or (method in RANKERS and RANKERS[method].learned):
            curves.append(curve_points(method, labels, score))
    return rows, pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=CURVE_COLUMNS)


CURVE_POINTS = 200
CURVE_COLUMNS = ["method", "curve", "point", "x", "y"]


def curve_points(method: str, labels: np.ndarray, score: np.ndarray) -> pd.DataFrame:
    """ROC (x = false positive rate, y = true positive rate) and precision-recall (x = recall,
    y = precision) curves, thinned to at most CURVE_POINTS points each."""
    from sklearn.metrics import precision_recall_curve, roc_curve

    if labels.all() or not labels.any():
        return pd.DataFrame(columns=CURVE_COLUMNS)
    fpr, tpr, _ = roc_curve(labels, score)
    precision, recall, _ = precision_recall_curve(labels, score)
    frames = []
    for name, x, y in (("roc", fpr, tpr), ("precision_recall", recall, precision)):
        keep = np.unique(np.linspace(0, len(x) - 1, min(len(x), CURVE_POINTS)).round().astype(int))
        points = {"point": np.arange(len(keep)), "x": x[keep], "y": y[keep]}
        frames.append(pd.DataFrame({"method": method, "curve": name, **points}))
    return pd.concat(frames, ignore_index=True)


def evaluation_settings(meta: dict) -> dict:
    """The settings an evaluation depends on, from a Python model's meta (dbt vars)."""
    run_date = dt.date.fromisoformat(meta["run_date"])
    cutoff = run_date - dt.timedelta(days=int(meta["evaluation_holdout_days"]))
    return {
        "run_date": str(run_date),
        "cutoff": str(cutoff),
        "study_every_days": int(meta["study_every_days"]),
        "k": int(meta["k"]),
        "bootstrap_samples": int(meta["bootstrap_samples"]),
        "seed": int(meta["seed"]),
        "max_lists_per_pool": int(meta["ranker_max_lists_per_pool"]),
        "max_evaluation_customers": int(meta["evaluation_max_customers"]),
    }


def evaluation_key(store: Path, settings: dict, external: pd.DataFrame | None) -> dict:
    """The offline evaluation's study key (metro_offers.studies): the live model version, the
    study period, the settings but the dates, and the external rankers' scores."""
    entries = read_registry(store)
    if not entries:
        raise ValueError(f"no registered ranker in {store}: the evaluation belongs to a model version")
    external_hash = None
    if external is not None and len(external):
        columns = ["method", "customer_id", "offer_id", "score"]
        ordered = external[columns].sort_values(columns[:3])
        external_hash = str(pd.util.hash_pandas_object(ordered, index=False).sum())
    fixed = {name: value for name, value in settings.items() if name not in ("run_date", "cutoff")}
    return study_key(settings, model_version=entries[-1]["model_version"], settings=fixed, external=external_hash)


def offline_evaluation(
    load_inputs,
    store: Path,
    truth_dir: Path | None,
    settings: dict,
    external: pd.DataFrame | None = None,
    echo=print,
) -> pd.DataFrame:
    """The evaluation of the live model version, on the study schedule (metro_offers.studies):
    builds of the same period and model version reuse it (and do not load its inputs).
    load_inputs() returns pool_examples (the training and evaluation pools). The curves are
    stored beside the metrics (evaluation_curves)."""
    key = evaluation_key(store, settings, external)
    entry = read_registry(store)[-1]

    def compute() -> dict[str, pd.DataFrame]:
        result, curves = evaluate(
            load_inputs(),
            entry,
            truth_dir,
            settings["k"],
            settings["bootstrap_samples"],
            settings["seed"],
            external=external,
            echo=echo,
        )
        for frame in (result, curves):
            frame.insert(0, "model_version", entry["model_version"])
        result.insert(1, "run_date", dt.date.fromisoformat(settings["run_date"]))
        result.insert(2, "evaluation_cutoff", dt.date.fromisoformat(settings["cutoff"]))
        return {"metrics": result, "curves": curves}

    return scheduled(store, EVALUATION_STUDY, key, compute, echo=echo)["metrics"]


def stored_curves(store: Path, settings: dict, external: pd.DataFrame | None) -> pd.DataFrame:
    """The ROC and precision-recall curves the live version's evaluation stored."""
    if not read_registry(store):
        return pd.DataFrame(columns=["model_version", *CURVE_COLUMNS])
    stored = stored_result(store, EVALUATION_STUDY, evaluation_key(store, settings, external))
    return stored["curves"] if stored else pd.DataFrame(columns=["model_version", *CURVE_COLUMNS])
