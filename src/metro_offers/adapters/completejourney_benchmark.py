"""A reproducible benchmark on The Complete Journey (real data), two tasks:

1. Coupon ranking. One time cutoff D (default 2017-10-01). The rankers learn from the
   warehouse's training examples of campaigns that ended before D (their features as of each
   impression's week, their label: redeemed within 7 days). For every household of a campaign
   that starts on or after D, every method ranks that campaign's coupons; relevant = the
   coupons the household redeemed (any day, from the source's redemption table, also those the
   adapter could not land). Methods: random, coupon popularity (share of households that
   bought one of the coupon's products in the 90 days before D), P-TopFreq (the household's
   purchases of the coupon's products before D, ties by popularity), logistic regression and
   LightGBM. NDCG@10, Recall@10, MRR, hit rate@10 and AUC, with bootstrap 95% intervals
   over (household, campaign) lists.
2. Next basket. For each household with baskets before D and after it, predict the products
   of its first basket on or after D; Recall@10 and NDCG@10 for product popularity (buyers in
   the 90 days before D), P-TopFreq (the household's own purchase counts) and a
   recency-weighted P-TopFreq (each past purchase weighs 2^(-days ago / 30)).

The campaigns were targeted, not randomised: these numbers measure ranking among the coupons a
household was sent, not uplift.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from metro_offers.adapters.completejourney import is_merchandise
from metro_offers.evaluation import bootstrap_means, list_metrics, rank_within_customer, resample_weights
from metro_offers.ranking import auc, feature_matrix, fit_rankers

DEFAULT_CUTOFF = dt.date(2017, 10, 1)
K = 10
POPULARITY_DAYS = 90
HALF_LIFE_DAYS = 30.0
METHOD_LABELS = {
    "random": "Random",
    "coupon_popularity": "Coupon popularity",
    "p_topfreq": "P-TopFreq",
    "logistic_regression": "Logistic regression",
    "lightgbm": "LightGBM",
    "product_popularity": "Product popularity",
    "p_topfreq_recency": "P-TopFreq, recency-weighted",
}


def _metric_rows(task: str, method: str, per_group: pd.DataFrame, samples: int, seed: int) -> list[dict]:
    """One row per column of per_group: its mean over the lists and the bootstrap 95%
    interval (the same resamples for every column)."""
    replicates = bootstrap_means(per_group, resample_weights(len(per_group), samples, seed))
    low, high = np.percentile(replicates, [2.5, 97.5], axis=0)
    return [
        {
            "task": task,
            "method": method,
            "metric": metric,
            "value": float(per_group[metric].mean()),
            "ci_low": float(low[i]),
            "ci_high": float(high[i]),
            "lists": len(per_group),
        }
        for i, metric in enumerate(per_group.columns)
    ]


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
    """examples: training_examples (all splits) with offer end dates; offers: the landed offers;
    coupon_keys: offer_id -> (campaign_id, coupon_upc)."""
    cut = pd.Timestamp(cutoff)
    examples = examples.merge(offers[["offer_id", "start_date", "end_date"]], on="offer_id")
    train = examples[pd.to_datetime(examples.end_date) < cut]
    evaluated = examples[pd.to_datetime(examples.start_date) >= cut].copy()
    if train.empty or evaluated.empty:
        raise ValueError(f"no campaign ended before {cutoff} or none starts after it")
    echo(f"[benchmark] training on {len(train):,} impressions of campaigns ended before {cutoff}")
    fitted = fit_rankers(train.assign(split="train"), refit="both", echo=echo)

    evaluated = evaluated.merge(coupon_keys, on="offer_id")
    redeemed = source["coupon_redemptions"][["household_id", "campaign_id", "coupon_upc"]].drop_duplicates()
    redeemed = redeemed.assign(relevant=True).rename(columns={"household_id": "customer_id"})
    evaluated = evaluated.merge(redeemed, on=["customer_id", "campaign_id", "coupon_upc"], how="left")
    evaluated["relevant"] = evaluated.relevant.fillna(False).astype(bool)
    evaluated = evaluated.sort_values(["customer_id", "campaign_id", "offer_id"]).reset_index(drop=True)

    # baselines from the transactions before the cutoff
    before = source["transactions"][source["transactions"].transaction_timestamp < cut]
    coupon_products = source["coupons"].merge(coupon_keys, on=["campaign_id", "coupon_upc"])[["offer_id", "product_id"]]
    recent = before[before.transaction_timestamp >= cut - pd.Timedelta(days=POPULARITY_DAYS)]
    buyers = recent[["household_id", "product_id"]].drop_duplicates().merge(coupon_products, on="product_id")
    popularity = buyers.groupby("offer_id").household_id.nunique() / before.household_id.nunique()
    purchases = before[["household_id", "product_id"]].merge(coupon_products, on="product_id")
    counts = purchases.groupby(["household_id", "offer_id"]).size().rename("purchases").reset_index()
    evaluated = evaluated.merge(
        counts.rename(columns={"household_id": "customer_id"}), on=["customer_id", "offer_id"], how="left"
    )
    evaluated["popularity"] = evaluated.offer_id.map(popularity).fillna(0.0)
    x = feature_matrix(evaluated)
    scores = {
        "random": np.random.default_rng(seed).random(len(evaluated)),
        "coupon_popularity": evaluated.popularity.to_numpy(),
        "p_topfreq": evaluated.purchases.fillna(0).to_numpy() + 0.5 * evaluated.popularity.to_numpy(),
        **{name: model.predict(x) for name, model in fitted.models.items()},
    }

    group = evaluated.groupby(["customer_id", "campaign_id"]).ngroup().to_numpy()
    relevant = evaluated.relevant.to_numpy()
    n_relevant = pd.Series(relevant, index=group).groupby(level=0).sum()
    groups_with_relevant = n_relevant[n_relevant > 0].index
    echo(
        f"[benchmark] ranking the coupons of {evaluated.groupby(['customer_id', 'campaign_id']).ngroups:,} "
        f"(household, campaign) lists; {len(groups_with_relevant):,} have a redeemed coupon"
    )
    rows = []
    for method, score in scores.items():
        rank = rank_within_customer(group, score, evaluated.offer_id.to_numpy())
        metrics = list_metrics(group, rank, relevant, n_relevant, K)[["ndcg", "recall", "mrr", "hit_rate"]]
        rows += _metric_rows("coupon ranking", method, metrics, samples, seed)
        rows.append(_auc_row(method, relevant, score, group, seed))
    return pd.DataFrame(rows)


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


def next_basket(source: dict[str, pd.DataFrame], cutoff: dt.date, samples: int = 1000, seed: int = 7) -> pd.DataFrame:
    """Products of each household's first basket on or after the cutoff, ranked by three methods."""
    cut = pd.Timestamp(cutoff)
    merchandise = source["products"].loc[is_merchandise(source["products"]), "product_id"]
    lines = source["transactions"][source["transactions"].product_id.isin(merchandise)]
    before, after = lines[lines.transaction_timestamp < cut], lines[lines.transaction_timestamp >= cut]
    first_basket = after.sort_values("transaction_timestamp").groupby("household_id").basket_id.first()
    target = after[after.basket_id.isin(first_basket)][["household_id", "product_id"]].drop_duplicates()
    households = np.intersect1d(target.household_id.unique(), before.household_id.unique())
    target = target[target.household_id.isin(households)]

    recent = before[before.transaction_timestamp >= cut - pd.Timedelta(days=POPULARITY_DAYS)]
    popular = recent.groupby("product_id").household_id.nunique().sort_values(ascending=False)
    popularity = popular / before.household_id.nunique()
    own = before[before.household_id.isin(households)]
    days_ago = (cut - own.transaction_timestamp).dt.total_seconds() / 86400
    own = own.assign(weight=np.power(2.0, -days_ago / HALF_LIFE_DAYS), count=1)
    per_product = own.groupby(["household_id", "product_id"], as_index=False)[["count", "weight"]].sum()
    per_product["popularity"] = per_product.product_id.map(popularity).fillna(0.0)

    top_popular = popular.index[:K].to_numpy()
    lists = {
        "product_popularity": pd.DataFrame(
            {"household_id": np.repeat(households, K), "product_id": np.tile(top_popular, len(households))}
        ),
    }
    for method, column in (("p_topfreq", "count"), ("p_topfreq_recency", "weight")):
        ranked = per_product.assign(score=per_product[column] + 1e-6 * per_product.popularity)
        ranked = ranked.sort_values(["household_id", "score", "product_id"], ascending=[True, False, True])
        top = ranked.groupby("household_id").head(K)[["household_id", "product_id"]]
        # households with fewer than K past products are filled up with the most popular ones
        filler = lists["product_popularity"].merge(top, how="left", indicator=True)
        filler = filler[filler._merge == "left_only"].drop(columns="_merge")
        lists[method] = pd.concat([top, filler]).groupby("household_id").head(K)
    n_relevant = target.groupby("household_id").size()
    rows = []
    for method, chosen in lists.items():
        chosen = chosen.assign(rank=chosen.groupby("household_id").cumcount() + 1)
        hits = chosen.merge(target.assign(relevant=True), on=["household_id", "product_id"], how="left")
        metrics = list_metrics(
            hits.household_id.to_numpy(),
            hits["rank"].to_numpy(),
            hits.relevant.fillna(False).to_numpy(bool),
            n_relevant,
            K,
        )[["recall", "ndcg"]]
        rows += _metric_rows("next basket", method, metrics, samples, seed)
    return pd.DataFrame(rows)


def render(results: pd.DataFrame) -> str:
    """The two benchmark tables in Markdown: value [95% interval] per method and metric."""
    out = []
    for task, metrics in (
        ("coupon ranking", ["ndcg", "recall", "mrr", "hit_rate", "auc"]),
        ("next basket", ["recall", "ndcg"]),
    ):
        rows = results[results.task == task]
        if rows.empty:
            continue
        ranked = int(rows[rows.metric == metrics[0]].lists.max())
        title = f"{task.capitalize()}: {ranked:,} lists with a relevant item"
        if "auc" in metrics:
            title += f"; AUC over every item of all {int(rows[rows.metric == 'auc'].lists.max()):,} lists"
        titles = {"ndcg": "NDCG@10", "recall": "Recall@10", "mrr": "MRR", "hit_rate": "Hit rate@10", "auc": "AUC"}
        header = "| Method | " + " | ".join(titles[m] for m in metrics) + " |"
        lines = [title + " (95% bootstrap intervals):", "", header, "|---|" + "---|" * len(metrics)]
        for method in dict.fromkeys(rows.method):
            cells = []
            for metric in metrics:
                r = rows[(rows.method == method) & (rows.metric == metric)]
                cells.append(
                    "-" if r.empty else f"{r.value.iloc[0]:.3f} [{r.ci_low.iloc[0]:.3f}, {r.ci_high.iloc[0]:.3f}]"
                )
            lines.append(f"| {METHOD_LABELS[method]} | " + " | ".join(cells) + " |")
        out.append("\n".join(lines))
    return "\n\n".join(out)
