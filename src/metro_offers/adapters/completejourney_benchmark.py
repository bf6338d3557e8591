"""A reproducible benchmark on The Complete Journey (real data), two tasks:

1. Coupon ranking. One time cutoff D (default 2017-10-01). Every household's coupons of one
   campaign are a list; relevant = the coupons the household redeemed (any day, from the
   source's redemption table, also those the adapter could not land). Features are the
   warehouse's training examples' (as of the Monday of the campaign's first week, one code
   path with the build). The learned rankers (logistic regression, LightGBM LambdaRank over
   the lists, Wide & Deep) learn from the campaigns that ended before D; the build's selection procedure
   (champion and challengers, baselines included) picks one on the latest quarter of those
   campaigns. For every household of a campaign that starts on or after D, every ranker of
   metro_offers.ranking.rankers ranks that campaign's coupons: random, global and segment
   popularity of the coupon's products, P-TopFreq (the household's orders of the coupon's
   products, ties by popularity) and the learned rankers. NDCG@10, Recall@10, MRR, hit
   rate@10 and AUC, with bootstrap 95% intervals over (household, campaign) lists.
2. Next basket. For each household with baskets before D and after it, predict the products
   of its first basket on or after D; Recall@10 and NDCG@10 of the next-basket baselines
   (metro_offers.next_basket: popularity over var segment_popularity_window_days before D,
   P-TopFreq, GP-TopFreq), judged by the same harness as the warehouse's next-basket
   evaluation.

The campaigns were targeted, not randomised: these numbers measure ranking among the coupons a
household was sent, not uplift.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from metro_offers.adapters.completejourney import is_merchandise
from metro_offers.evaluation_report import METHOD_LABELS as RANKING_LABELS
from metro_offers.metrics import (
    PAIRED_GAIN,
    auc,
    list_metrics,
    mean_intervals,
    paired_gains,
    rank_within_customer,
    resample_weights,
)
from metro_offers.next_basket import harness
from metro_offers.next_basket import methods as next_basket_methods
from metro_offers.next_basket.methods import LABELS as NEXT_BASKET_LABELS
from metro_offers.next_basket.task import LINE_COLUMNS, NextBasketTask
from metro_offers.ranking.data import RankingData
from metro_offers.ranking.features import ranker_features
from metro_offers.ranking.rankers import RANKERS
from metro_offers.ranking.selection import Selection, compare_rankers, fit_ranker

DEFAULT_CUTOFF = dt.date(2017, 10, 1)
K = 10
VALIDATION_SHARE = 0.25  # the latest quarter of the training campaigns validates the choice
NEXT_BASKET_METHODS = ["popularity", "p_topfreq", "gp_topfreq"]
TASK_LABELS = {"coupon ranking": RANKING_LABELS, "next basket": NEXT_BASKET_LABELS}


def _metric_rows(task: str, method: str, per_group: pd.DataFrame, samples: int, seed: int) -> list[dict]:
    """One row per column of per_group: its mean over the lists and the bootstrap 95%
    interval (the same resamples for every column)."""
    intervals = mean_intervals(per_group, resample_weights(len(per_group), samples, seed))
    return [
        {"task": task, "method": method, "metric": metric, **row.astype(float).to_dict(), "lists": len(per_group)}
        for metric, row in intervals.iterrows()
    ]


def coupon_lists(examples: pd.DataFrame, coupon_keys: pd.DataFrame, redemptions: pd.DataFrame) -> pd.DataFrame:
    """The training examples as ranking lists: one list per (household, campaign) of the
    campaign's coupons, relevant = the household redeemed the coupon (any day)."""
    lists = examples.merge(coupon_keys, on="offer_id")
    redeemed = redemptions[["household_id", "campaign_id", "coupon_upc"]].drop_duplicates()
    redeemed = redeemed.assign(redeemed_in_window=True).rename(columns={"household_id": "customer_id"})
    lists = lists.merge(redeemed, on=["customer_id", "campaign_id", "coupon_upc"], how="left")
    lists["redeemed_in_window"] = lists.redeemed_in_window.fillna(False).astype(bool)
    lists["pool"] = "campaign_" + lists.campaign_id.astype(str)
    lists["relevant_offers"] = lists.groupby(["pool", "customer_id"]).redeemed_in_window.transform("sum")
    return lists.sort_values(["pool", "customer_id", "offer_id"]).reset_index(drop=True)


def coupon_scores(
    source: dict[str, pd.DataFrame],
    examples: pd.DataFrame,
    offers: pd.DataFrame,
    coupon_keys: pd.DataFrame,
    cutoff: dt.date,
    seed: int = 7,
    echo=print,
) -> tuple[RankingData, dict[str, np.ndarray], Selection]:
    """The evaluated (household, campaign) lists, every method's score for their coupons
    (random and every ranker of metro_offers.ranking.rankers, the learned ones trained on
    the campaigns that ended before the cutoff) and the build procedure's selection among
    them (best NDCG@10 on the latest quarter of those campaigns). examples:
    training_examples (all splits); offers: the landed offers; coupon_keys: offer_id ->
    (campaign_id, coupon_upc)."""
    cut = pd.Timestamp(cutoff)
    examples = examples.merge(offers[["offer_id", "start_date", "end_date"]], on="offer_id")
    lists = coupon_lists(examples, coupon_keys, source["coupon_redemptions"])
    train = lists[pd.to_datetime(lists.end_date) < cut]
    evaluated = lists[pd.to_datetime(lists.start_date) >= cut].reset_index(drop=True)
    if train.empty or evaluated.empty:
        raise ValueError(f"no campaign ended before {cutoff} or none starts after it")
    features = ranker_features(lists.columns)
    # validation: the latest quarter of the training campaigns (by start date), as the build does by time
    starts = train.groupby("pool").start_date.min().sort_values()
    valid_pools = starts.index[-max(1, round(len(starts) * VALIDATION_SHARE)) :]
    in_valid = train.pool.isin(valid_pools)
    echo(
        f"[benchmark] {train.pool.nunique()} campaigns ended before {cutoff} ({len(train):,} coupon rows); "
        f"the latest {len(valid_pools)} validate"
    )
    selection = compare_rankers(
        RankingData.from_pool_examples(train[~in_valid], features),
        RankingData.from_pool_examples(train[in_valid], features),
        features,
        valid_name="the latest training campaigns",
        echo=echo,
    )
    data = RankingData.from_pool_examples(evaluated, features)
    scores = {"random": np.random.default_rng(seed).random(len(data))}
    for name, ranker in RANKERS.items():
        if name in selection.parameters:
            model = fit_ranker(name, train, selection.parameters[name], features) if ranker.learned else ranker()
            scores[name] = model.score(data.x)
    echo(
        f"[benchmark] ranking the coupons of {data.n_relevant.size:,} (household, campaign) lists; "
        f"{int((data.n_relevant > 0).sum()):,} have a redeemed coupon; selected: {selection.chosen}"
    )
    return data, scores, selection


def list_results(data: RankingData, score: np.ndarray) -> pd.DataFrame:
    """NDCG@10, Recall@10, MRR and hit rate@10 of each list ranked by ``score``."""
    rank = rank_within_customer(data.group, score, data.offer)
    return list_metrics(data.group, rank, data.label, data.n_relevant, K)[["ndcg", "recall", "mrr", "hit_rate"]]


def coupon_ranking(
    source: dict[str, pd.DataFrame],
    examples: pd.DataFrame,
    offers: pd.DataFrame,
    coupon_keys: pd.DataFrame,
    cutoff: dt.date,
    samples: int = 1000,
    seed: int = 7,
    echo=print,
) -> pd.DataFrame:
    """Every method of coupon_scores on the evaluated lists, with 95% intervals; the one the
    build's procedure selects is marked."""
    data, scores, selection = coupon_scores(source, examples, offers, coupon_keys, cutoff, seed, echo)
    rows, per_list = [], {}
    for method, score in scores.items():
        metrics = list_results(data, score)
        per_list[method] = metrics
        rows += _metric_rows("coupon ranking", method, metrics, samples, seed)
        rows.append(_auc_row(method, data.label, score, data.group, seed))
    # each ranker against P-TopFreq on the same lists: the paired difference and its interval
    rankers_ndcg = {method: metrics.ndcg for method, metrics in per_list.items() if method != "random"}
    for method, gain in paired_gains(rankers_ndcg).items():
        rows += _metric_rows("coupon ranking", method, gain.to_frame(), samples, seed)
    result = pd.DataFrame(rows)
    result["selected"] = result.method.eq(selection.chosen)
    return result


def _auc_row(method, relevant, score, group, seed, samples: int = 200) -> dict:
    """AUC over every evaluated (household, coupon), its interval from resampling lists."""
    value = auc(relevant, score)
    rng = np.random.default_rng(seed)
    groups = np.unique(group)
    members = pd.Series(np.arange(len(group))).groupby(group).apply(np.asarray)
    replicates = []
    for _ in range(samples):
        rows = np.concatenate(members.loc[rng.choice(groups, len(groups))].to_list())
        replicates.append(auc(relevant[rows], score[rows]))
    low, high = np.nanpercentile(replicates, [2.5, 97.5])
    return {
        "task": "coupon ranking",
        "method": method,
        "metric": "auc",
        "value": value,
        "ci_low": low,
        "ci_high": high,
        "lists": len(groups),
    }


def merchandise_lines(source: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The next-basket task's order lines (metro_offers.next_basket.task.LINE_COLUMNS): the
    source's merchandise transactions, a household as the customer."""
    merchandise = source["products"].loc[is_merchandise(source["products"]), "product_id"]
    lines = source["transactions"][source["transactions"].product_id.isin(merchandise)]
    lines = lines.rename(columns={"household_id": "customer_id", "transaction_timestamp": "basket_time"})
    return lines[list(LINE_COLUMNS)]


def next_basket(
    source: dict[str, pd.DataFrame], cutoff: dt.date, popularity_days: int, samples: int = 1000, seed: int = 7
) -> pd.DataFrame:
    """Products of each household's first basket on or after the cutoff, ranked by the
    next-basket baselines of metro_offers.next_basket (the same code as the warehouse's
    next-basket evaluation) and judged by its harness (all items)."""
    task = NextBasketTask.from_lines(merchandise_lines(source), pd.Timestamp(cutoff))
    ranked = next_basket_methods.rank(task, NEXT_BASKET_METHODS, K, popularity_days, None, echo=lambda _: None)
    judged = harness.evaluate(task, ranked.lists, K, samples, seed)
    judged = judged[(judged.subset == "all") & judged.metric.isin(["recall", "ndcg"])]
    return judged.drop(columns="subset").rename(columns={"customers": "lists"}).assign(task="next basket")


def render(results: pd.DataFrame) -> str:
    """The two benchmark tables in Markdown: value [95% interval] per method and metric."""
    out = []
    for task, metrics in (
        ("coupon ranking", ["ndcg", PAIRED_GAIN, "recall", "mrr", "hit_rate", "auc"]),
        ("next basket", ["recall", "ndcg"]),
    ):
        rows = results[results.task == task]
        if rows.empty:
            continue
        ranked = int(rows[rows.metric == metrics[0]].lists.max())
        title = f"{task.capitalize()}: {ranked:,} lists with a relevant item"
        if "auc" in metrics:
            title += f"; AUC over every item of all {int(rows[rows.metric == 'auc'].lists.max()):,} lists"
        titles = {
            "ndcg": "NDCG@10",
            PAIRED_GAIN: "NDCG@10 − P-TopFreq (paired)",
            "recall": "Recall@10",
            "mrr": "MRR",
            "hit_rate": "Hit rate@10",
            "auc": "AUC",
        }
        header = "| Method | " + " | ".join(titles[m] for m in metrics) + " |"
        lines = [title + " (95% bootstrap intervals):", "", header, "|---|" + "---|" * len(metrics)]
        for method in dict.fromkeys(rows.method):
            cells = []
            for metric in metrics:
                r = rows[(rows.method == method) & (rows.metric == metric)]
                cells.append(
                    "-" if r.empty else f"{r.value.iloc[0]:.3f} [{r.ci_low.iloc[0]:.3f}, {r.ci_high.iloc[0]:.3f}]"
                )
            selected = "selected" in rows and rows[rows.method == method].selected.fillna(False).astype(bool).any()
            label = TASK_LABELS[task].get(method, method) + (" (selected)" if selected else "")
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        out.append("\n".join(lines))
    return "\n\n".join(out)
