"""The next-basket baselines a sequential model has to beat (Li et al., "A Next Basket
Recommendation Reality Check"): popularity, P-TopFreq (the customer's own most frequent
products), GP-TopFreq (P-TopFreq filled up with popularity) and TIFU-KNN (Hu et al. 2020).
Each returns every judged customer's top-k products: customer_id, product_id, rank (1 = first)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from metro_offers.next_basket.task import NextBasketTask

RANKED_COLUMNS = ["customer_id", "product_id", "rank"]


def product_popularity(task: NextBasketTask, days: int) -> pd.Series:
    """Distinct buyers per product in the ``days`` before the cutoff, most bought first (ties
    by product id)."""
    recent = task.popularity_lines[task.popularity_lines.basket_time >= task.cutoff - pd.Timedelta(days=days)]
    buyers = recent.groupby("product_id").customer_id.nunique()
    return buyers.sort_index().sort_values(ascending=False, kind="stable")


def popularity(task: NextBasketTask, k: int, days: int) -> pd.DataFrame:
    top = product_popularity(task, days).index[:k].to_numpy()
    customers = task.customers
    return pd.DataFrame(
        {
            "customer_id": np.repeat(customers, len(top)),
            "product_id": np.tile(top, len(customers)),
            "rank": np.tile(np.arange(1, len(top) + 1), len(customers)),
        }
    )


def _ranked(scored: pd.DataFrame, k: int) -> pd.DataFrame:
    """Top k rows per customer of (customer_id, product_id, score), ties by product id."""
    ordered = scored.sort_values(["customer_id", "score", "product_id"], ascending=[True, False, True], kind="stable")
    top = ordered.groupby("customer_id").head(k)
    return top.assign(rank=top.groupby("customer_id").cumcount() + 1)[RANKED_COLUMNS].reset_index(drop=True)


def p_topfreq(task: NextBasketTask, k: int, days: int) -> pd.DataFrame:
    """The customer's products by the number of baskets that held them, ties by popularity
    (then product id); only products the customer bought, so a list can be shorter than k."""
    counts = task.history.groupby(["customer_id", "product_id"]).basket_id.nunique().rename("baskets").reset_index()
    buyers = product_popularity(task, days)
    tie = counts.product_id.map(buyers).fillna(0.0) / (buyers.max() + 1.0 if len(buyers) else 1.0)
    return _ranked(counts.assign(score=counts.baskets + tie), k)


def gp_topfreq(task: NextBasketTask, k: int, days: int) -> pd.DataFrame:
    """P-TopFreq, then the most popular products the customer has not bought, up to k."""
    own = p_topfreq(task, k, days)
    filler = popularity(task, k, days).assign(rank=lambda f: f["rank"] + k)  # after every own product
    both = pd.concat([own, filler]).drop_duplicates(["customer_id", "product_id"], keep="first")
    both = both.sort_values(["customer_id", "rank"], kind="stable").groupby("customer_id").head(k)
    return both.assign(rank=both.groupby("customer_id").cumcount() + 1)[RANKED_COLUMNS].reset_index(drop=True)


def popularity_explore(task: NextBasketTask, k: int, days: int, chunk: int = 5_000) -> pd.DataFrame:
    """The most popular products the customer never bought before the cutoff: popularity's
    list of explore items only."""
    ranking = product_popularity(task, days).index.to_numpy()
    bought = task.history[["customer_id", "product_id"]].drop_duplicates()
    customers = task.customers
    parts = []
    for start in range(0, len(customers), chunk):
        ids = customers[start : start + chunk]
        own = bought[bought.customer_id.isin(ids)]
        depth = min(len(ranking), k + (own.groupby("customer_id").size().max() if len(own) else 0))
        grid = pd.DataFrame({"customer_id": np.repeat(ids, depth), "product_id": np.tile(ranking[:depth], len(ids))})
        new = grid.merge(own.assign(own=True), how="left", on=["customer_id", "product_id"])
        new = new[new.own.isna()].groupby("customer_id").head(k)
        parts.append(new.assign(rank=new.groupby("customer_id").cumcount() + 1)[RANKED_COLUMNS])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=RANKED_COLUMNS)


@dataclass(frozen=True)
class TifuKnnSettings:
    """Hu et al. 2020: baskets split into ``groups`` equal groups in time order; inside a group
    of n baskets the i-th (1-based) weighs within_decay^(n - i) / n, the j-th of G groups
    group_decay^(G - j) / G; a customer's vector sums its baskets' weights per product;
    prediction = alpha x own vector + (1 - alpha) x mean of the ``neighbours`` nearest other
    customers' vectors (Euclidean)."""

    neighbours: int = 300
    within_decay: float = 0.9
    group_decay: float = 0.7
    alpha: float = 0.7
    groups: int = 7


def tifu_vectors(lines: pd.DataFrame, settings: TifuKnnSettings, products: np.ndarray):
    """(customer ids, CSR matrix customers x ``products``) of TIFU-KNN's customer vectors."""
    from scipy import sparse

    baskets = lines[["customer_id", "basket_id", "basket_time"]].drop_duplicates("basket_id")
    baskets = baskets.sort_values(["customer_id", "basket_time", "basket_id"], kind="stable").reset_index(drop=True)
    position = baskets.groupby("customer_id").cumcount().to_numpy()
    n_baskets = baskets.groupby("customer_id").basket_id.transform("size").to_numpy()
    n_groups = np.minimum(settings.groups, n_baskets)
    group = position * n_groups // n_baskets  # equal groups in time order, earliest first
    key = pd.DataFrame({"customer_id": baskets.customer_id, "group": group})
    group_size = key.groupby(["customer_id", "group"]).group.transform("size").to_numpy()
    in_group = key.groupby(["customer_id", "group"]).cumcount().to_numpy()
    weight = (settings.within_decay ** (group_size - 1 - in_group) / group_size) * (
        settings.group_decay ** (n_groups - 1 - group) / n_groups
    )
    basket_weight = pd.Series(weight, index=baskets.basket_id.to_numpy())
    items = lines[["customer_id", "basket_id", "product_id"]].drop_duplicates()
    customers, row = np.unique(items.customer_id.to_numpy(), return_inverse=True)
    column = np.searchsorted(products, items.product_id.to_numpy())
    values = basket_weight.reindex(items.basket_id.to_numpy()).to_numpy()
    matrix = sparse.csr_matrix((values, (row, column)), shape=(len(customers), len(products)))
    matrix.sum_duplicates()
    return customers, matrix


def tifu_knn(task: NextBasketTask, k: int, settings: TifuKnnSettings, batch: int = 2_000) -> pd.DataFrame:
    """TIFU-KNN's top k for every judged customer; neighbours come from every customer with
    history before the cutoff (the judged customer excluded)."""
    from scipy import sparse
    from sklearn.neighbors import NearestNeighbors

    products = np.sort(task.popularity_lines.product_id.unique())
    pool_ids, pool = tifu_vectors(task.popularity_lines, settings, products)
    judged = np.searchsorted(pool_ids, task.customers)
    neighbours = min(settings.neighbours, len(pool_ids) - 1)
    index = NearestNeighbors(n_neighbors=neighbours + 1, metric="euclidean", algorithm="brute").fit(pool)
    parts = []
    for start in range(0, len(judged), batch):
        rows = judged[start : start + batch]
        _, found = index.kneighbors(pool[rows])
        # drop the customer itself (found first, at distance 0, unless tied), keep `neighbours`
        others = np.array([[n for n in near if n != row][:neighbours] for near, row in zip(found, rows, strict=True)])
        averaging = sparse.csr_matrix(
            (np.full(others.size, 1.0 / max(neighbours, 1)), others.ravel(), np.arange(0, others.size + 1, neighbours)),
            shape=(len(rows), len(pool_ids)),
        )
        score = settings.alpha * pool[rows].toarray() + (1 - settings.alpha) * (averaging @ pool).toarray()
        top = np.argsort(-score, axis=1, kind="stable")[:, :k]
        taken = np.take_along_axis(score, top, axis=1) > 0
        parts.append(
            pd.DataFrame(
                {
                    "customer_id": np.repeat(pool_ids[rows], k)[taken.ravel()],
                    "product_id": products[top].ravel()[taken.ravel()],
                    "rank": np.tile(np.arange(1, k + 1), len(rows))[taken.ravel()],
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=RANKED_COLUMNS)
