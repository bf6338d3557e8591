"""Offline evaluation of the rankers against baselines and the oracle (DESIGN.md §5).

One global cutoff (run_date minus var evaluation_holdout_days). The evaluation rankers are
trained exactly like the production ranker, but only on training examples whose label
window closed before the cutoff. Every method then ranks the same customers' full candidate
pool as of the cutoff (the 'evaluation' pool: every offer valid in the evaluation window that
retrieval proposed), and a customer's relevant offers are those redeemed in the window.

Methods: random, global popularity, segment popularity, P-TopFreq (the customer's own
purchase frequency of the offer's target, ties by global popularity), logistic regression,
LightGBM and, on synthetic data, the oracle (the generator's true P(redeem | shown) from the
truth folder). Metrics per customer: NDCG@k, Precision@k, Recall@k, MRR, MAP@k, hit rate@k,
intra-list diversity by category and (with the truth) the expected redemptions of the top-k
list under the true probabilities as a share of the oracle's. Catalogue coverage of the
lists, and AUC of the rankers on every evaluation impression (and among customers active in
the 90 days before the impression). Bootstrap 95% intervals resample customers, the same
resamples for every method, so methods are compared on identical customer sets. Every
metric is also split into repeat (the customer bought the offer's target before the cutoff)
and explore (not) relevant offers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from metro_offers.ranking import auc, feature_matrix, fit_rankers

RANKERS = ("logistic_regression", "lightgbm")
METHODS = ("random", "global_popularity", "segment_popularity", "p_topfreq", *RANKERS, "oracle")
LIST_METRICS = ("ndcg", "precision", "recall", "mrr", "map", "hit_rate")
SUBSETS = ("all", "repeat", "explore")
ACTIVE_DAYS = 90  # "active customer" for the second AUC: ordered in the 90 days before


# ---------------------------------------------------------------- metric functions
def rank_within_customer(customer: np.ndarray, score: np.ndarray, tie_break: np.ndarray) -> np.ndarray:
    """1-based rank of each row among its customer's rows: higher score first, ties by the
    smaller tie_break value (the offer id), so every method's ranking is deterministic."""
    order = np.lexsort((tie_break, -np.asarray(score, dtype=float), customer))
    sorted_customer = customer[order]
    starts = np.r_[0, np.flatnonzero(sorted_customer[1:] != sorted_customer[:-1]) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(len(order)) - group_start + 1
    return ranks


def list_metrics(
    customer: np.ndarray, rank: np.ndarray, relevant: np.ndarray, n_relevant: pd.Series, k: int
) -> pd.DataFrame:
    """Per-customer NDCG@k, Precision@k, Recall@k, MRR, MAP@k and hit rate@k with binary
    relevance. n_relevant (indexed by customer) counts the customer's relevant items, also
    those outside the ranked rows; customers with none are left out."""
    relevant = np.asarray(relevant, dtype=bool)
    frame = pd.DataFrame({"customer": customer, "rank": rank, "relevant": relevant})
    hits = frame[frame.relevant].sort_values(["customer", "rank"])
    hits["hit_number"] = hits.groupby("customer").cumcount() + 1
    top = hits[hits["rank"] <= k]
    n_rel = n_relevant[n_relevant > 0].astype(float)
    out = pd.DataFrame(index=n_rel.index)
    out.index.name = "customer"
    n_hits = top.groupby("customer").size().reindex(out.index, fill_value=0)
    dcg = (1.0 / np.log2(top["rank"] + 1.0)).groupby(top.customer).sum().reindex(out.index, fill_value=0.0)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discounts)[np.minimum(n_rel.to_numpy(), k).astype(int) - 1]
    out["ndcg"] = dcg.to_numpy() / ideal
    out["precision"] = n_hits.to_numpy() / k
    out["recall"] = n_hits.to_numpy() / n_rel.to_numpy()
    first = hits.groupby("customer")["rank"].min().reindex(out.index)
    out["mrr"] = (1.0 / first).fillna(0.0).to_numpy()
    precision_at_hit = (top["hit_number"] / top["rank"]).groupby(top.customer).sum()
    out["map"] = precision_at_hit.reindex(out.index, fill_value=0.0).to_numpy() / np.minimum(n_rel.to_numpy(), k)
    out["hit_rate"] = (n_hits.to_numpy() > 0).astype(float)
    return out


def intra_list_diversity(customer: np.ndarray, rank: np.ndarray, category: np.ndarray, k: int) -> pd.Series:
    """Per customer, the share of pairs of offers in the top-k list from different categories
    (0 = one category, 1 = all different); lists with fewer than two offers are left out."""
    frame = pd.DataFrame({"customer": customer, "category": category})[rank <= k]
    per_category = frame.groupby(["customer", "category"]).size()
    same_pairs = (per_category * (per_category - 1) / 2).groupby(level="customer").sum()
    size = frame.groupby("customer").size()
    pairs = size * (size - 1) / 2
    return (1.0 - same_pairs / pairs)[pairs > 0]


def bootstrap_means(values: pd.DataFrame, weights: np.ndarray) -> np.ndarray:
    """Bootstrap replicates (one row per resample) of each column's mean over the customers
    where it is defined. weights: resample counts, one row per resample, one column per
    customer in values' order."""
    defined = values.notna().to_numpy(dtype=float)
    filled = values.fillna(0.0).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (weights @ filled) / (weights @ defined)


def resample_weights(n_customers: int, samples: int, seed: int) -> np.ndarray:
    """How often each customer is drawn in each bootstrap resample (customers with equal
    probability, with replacement)."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_customers, np.full(n_customers, 1.0 / n_customers), size=samples).astype(np.float64)


# ---------------------------------------------------------------- inputs
def load_truth(truth_dir: Path, pairs: pd.DataFrame) -> pd.Series | None:
    """True P(redeem | shown) of each (customer_id, offer_id) row of pairs, or None when the
    truth folder is missing or does not cover every pair (real data has no truth)."""
    import duckdb

    files = sorted((truth_dir / "offer_truth").glob("*.parquet")) if truth_dir else []
    if not files:
        return None
    con = duckdb.connect()
    keys = pairs[["customer_id", "offer_id"]].reset_index(drop=True)
    keys["row_number"] = np.arange(len(keys))
    con.register("pairs", keys)
    truth = con.sql(
        "select pairs.row_number, truth.p_redeem_if_shown from pairs left join read_parquet(?) as truth "
        "on pairs.customer_id = truth.customer_id and pairs.offer_id = truth.offer_id order by pairs.row_number",
        params=[[str(f) for f in files]],
    ).df()
    con.close()
    if truth.p_redeem_if_shown.isna().any():
        return None
    return pd.Series(truth.p_redeem_if_shown.to_numpy(), index=pairs.index)


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


def method_scores(candidates: pd.DataFrame, rankers: dict, truth: pd.Series | None, seed: int) -> dict:
    """Each method's score for every evaluation candidate (higher = ranked first)."""
    global_popularity = candidates["global_popularity"].to_numpy(dtype=float)
    scores = {
        "random": np.random.default_rng(seed).random(len(candidates)),
        "global_popularity": global_popularity,
        "segment_popularity": candidates["segment_popularity"].to_numpy(dtype=float),
        # own purchase frequency first, ties by global popularity (a share, so below 1)
        "p_topfreq": candidates["purchase_frequency"].to_numpy(dtype=float) + 0.5 * global_popularity,
    }
    x = feature_matrix(candidates)
    scores.update({name: model.predict(x) for name, model in rankers.items()})
    if truth is not None:
        scores["oracle"] = truth.to_numpy(dtype=float)
    return scores


# ---------------------------------------------------------------- evaluation
def evaluate(
    candidates: pd.DataFrame,
    examples: pd.DataFrame,
    truth_dir: Path | None,
    k: int,
    bootstrap_samples: int,
    seed: int,
    external: pd.DataFrame | None = None,
    echo=print,
) -> pd.DataFrame:
    """The long metric table: one row per (method, subset, metric) with the value, the
    bootstrap 95% interval and the number of customers it averages over. ``external``: scores
    of other rankers for the evaluation pool (method, customer_id, offer_id, score), judged
    beside the built-in methods on the same customers, pools and resamples."""
    if candidates.empty:
        raise ValueError("the evaluation pool is empty: no customer redeemed an offer in the evaluation window")
    # the warehouse returns rows in no fixed order; a fixed order makes the random baseline reproducible
    candidates = candidates.sort_values(["customer_id", "offer_id"]).reset_index(drop=True)
    examples = examples.sort_values("impression_id").reset_index(drop=True)
    train = examples[examples["split"] == "train"]
    echo(f"[evaluate] training the evaluation rankers on {int(train['in_training_sample'].sum()):,} examples")
    fitted = fit_rankers(train, refit="both", echo=echo)
    truth = load_truth(truth_dir, candidates) if truth_dir else None
    if truth is None:
        echo("[evaluate] no truth covering the evaluation pool: no oracle, no expected redemptions")
    scores = method_scores(candidates, fitted.models, truth, seed)
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
        oracle_replicates = weights @ expected["oracle"].to_numpy()
        n = len(customers)
        for method, totals in expected.items():
            replicate_totals = weights @ totals.to_numpy()
            share = totals.sum() / expected["oracle"].sum()
            low, high = np.percentile(replicate_totals / oracle_replicates, [2.5, 97.5])
            rows.append(_row(method, "all", "expected_redemptions_share_of_oracle", share, n, low, high))
            low, high = np.percentile(replicate_totals / n, [2.5, 97.5])
            rows.append(_row(method, "all", "expected_redemptions_per_customer", totals.mean(), n, low, high))
    auc_rows, curves = impression_evaluation(examples, fitted.models, truth_dir, seed)
    result = pd.DataFrame(rows + auc_rows)
    result["validation_auc"] = result["method"].map(fitted.validation_auc)
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


def impression_evaluation(
    examples: pd.DataFrame, rankers: dict, truth_dir: Path | None, seed: int
) -> tuple[list[dict], pd.DataFrame]:
    """AUC of each ranker (and of random scores and the oracle, for scale) on every shown
    impression of the evaluation window, and among customers who ordered in the 90 days
    before the impression: a model that only learned 'has orders' scores high on the first
    and low on the second. Also their ROC and precision-recall curves (CURVE_POINTS points
    each) on all those impressions."""
    held_out = examples[examples["split"] == "evaluation"].reset_index(drop=True)
    if held_out.empty:
        return [], pd.DataFrame(columns=CURVE_COLUMNS)
    labels = held_out["label"].to_numpy(dtype=bool)
    active = (held_out["recency_days"].astype("float64") <= ACTIVE_DAYS).to_numpy(dtype=bool)
    x = feature_matrix(held_out)
    scores = {name: model.predict(x) for name, model in rankers.items()}
    scores["random"] = np.random.default_rng(seed).random(len(held_out))
    truth = load_truth(truth_dir, held_out) if truth_dir else None
    if truth is not None:
        scores["oracle"] = truth.to_numpy()
    customers, active_customers = held_out.customer_id.nunique(), held_out.customer_id[active].nunique()
    rows, curves = [], []
    for method, score in scores.items():
        rows.append(_row(method, "impressions", "auc", auc(labels, score), customers))
        rows.append(
            _row(method, "active_customers_impressions", "auc", auc(labels[active], score[active]), active_customers)
        )
        curves.append(curve_points(method, labels, score))
    return rows, pd.concat(curves, ignore_index=True)


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


def settings_key(settings: dict) -> str:
    """A short hash of the settings an evaluation depends on (cache key)."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]


def evaluation_settings(meta: dict) -> dict:
    """The settings an evaluation depends on, from a Python model's meta (dbt vars): they key
    its cache, so changing one re-evaluates."""
    run_date = dt.date.fromisoformat(meta["run_date"])
    cutoff = run_date - dt.timedelta(days=int(meta["evaluation_holdout_days"]))
    return {
        "run_date": str(run_date),
        "cutoff": str(cutoff),
        "k": int(meta["k"]),
        "bootstrap_samples": int(meta["bootstrap_samples"]),
        "seed": int(meta["seed"]),
    }


def offline_evaluation(
    load_inputs,
    store: Path,
    truth_dir: Path | None,
    settings: dict,
    external: pd.DataFrame | None = None,
    echo=print,
) -> pd.DataFrame:
    """The evaluation of the live model version: computed once per version, settings and
    external rankers' scores, and kept beside its artifact, so builds that reuse the model do
    not repeat it (nor load its inputs). load_inputs() returns (evaluation candidates,
    training examples)."""
    from metro_offers.ranking import read_registry

    metrics_settings = settings  # external scores change the metrics, not the built-in rankers' curves
    if external is not None and len(external):
        columns = ["method", "customer_id", "offer_id", "score"]
        ordered = external[columns].sort_values(columns[:3])
        metrics_settings = {**settings, "external": str(pd.util.hash_pandas_object(ordered, index=False).sum())}

    entries = read_registry(store)
    if not entries:
        raise ValueError(f"no registered ranker in {store}: the evaluation belongs to a model version")
    version = entries[-1]["model_version"]
    cache = _cache_path(entries[-1], metrics_settings, "offline_evaluation")
    if cache.exists() and _cache_path(entries[-1], settings, "evaluation_curves").exists():
        echo(f"[evaluate] reusing the evaluation of {version} ({cache.name})")
        return pd.read_parquet(cache)
    candidates, examples = load_inputs()
    result, curves = evaluate(
        candidates,
        examples,
        truth_dir,
        settings["k"],
        settings["bootstrap_samples"],
        settings["seed"],
        external=external,
        echo=echo,
    )
    for frame in (result, curves):
        frame.insert(0, "model_version", version)
    result.insert(1, "run_date", dt.date.fromisoformat(settings["run_date"]))
    result.insert(2, "evaluation_cutoff", dt.date.fromisoformat(settings["cutoff"]))
    saves = ((curves, "evaluation_curves", settings), (result, "offline_evaluation", metrics_settings))
    for frame, name, keyed in saves:  # the metrics last: they mark the evaluation done
        target = _cache_path(entries[-1], keyed, name)
        frame.to_parquet(target.with_suffix(".tmp"), index=False)
        target.with_suffix(".tmp").replace(target)
    return result


def _cache_path(entry: dict, settings: dict, name: str) -> Path:
    return Path(entry["artifact_path"]).parent / f"{name}_{settings_key(settings)}.parquet"


def cached_curves(store: Path, settings: dict) -> pd.DataFrame:
    """The ROC and precision-recall curves saved by the live version's evaluation."""
    from metro_offers.ranking import read_registry

    entries = read_registry(store)
    path = _cache_path(entries[-1], settings, "evaluation_curves") if entries else None
    if path is None or not path.exists():
        return pd.DataFrame(columns=["model_version", *CURVE_COLUMNS])
    return pd.read_parquet(path)
