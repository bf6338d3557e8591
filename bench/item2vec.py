"""Item2Vec on a built warehouse: hyperparameters tuned on held-out basket completion, the
embeddings' neighbour purity, FAISS exact against HNSW, timings, and a t-SNE picture.

Protocol (no peeking at the evaluation window while tuning):
- validation: train on baskets before the validation date (the training_1 pool's date), score
  basket completion on baskets in [validation date, evaluation cutoff);
- test: train with word2vec's defaults (ns_exponent 0.75, 5 epochs), the project's settings
  and the tuned ones on baskets before the evaluation cutoff, score on baskets in
  [cutoff, run_date). Basket completion: one product left out of
  each basket (seeded), ranked by cosine to the mean of the rest over the whole catalogue;
  Recall@10 with a 95% bootstrap interval over baskets; product popularity (orders before the
  date) is the floor.
- purity@10: share of a product's 10 nearest neighbours in its category (and department),
  against random neighbours and the 10 products it most often shares a basket with.
- FAISS: customers' vectors as of the cutoff searched against every product vector, exact
  (IndexFlatIP) and HNSW: recall@10 of HNSW against exact, and the query time per customer.

    python bench/item2vec.py --warehouse warehouse/metro_offers.duckdb --name 50k_default
    python bench/item2vec.py --warehouse warehouse/completejourney_benchmark.duckdb --name completejourney \\
        --source completejourney

Writes bench/results/item2vec_<name>.json and bench/results/item2vec_tsne_<name>.png.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import time
from pathlib import Path

import duckdb
import matplotlib
import numpy as np
import pandas as pd

from metro_offers.embeddings.corpus import basket_corpus
from metro_offers.embeddings.item2vec import Item2VecSettings, product_matrix, train_item2vec
from metro_offers.embeddings.quality import (
    basket_completion_hits,
    cooccurrence_neighbours,
    nearest_neighbours,
    purity_at_k,
    random_purity,
    tsne_map,
)
from metro_offers.embeddings.retrieval import IndexSettings, build_index, nearest, recall_against_exact
from metro_offers.embeddings.vectors import OrderHistory, customer_vectors, normalise

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the headless backend
from bench_settings import VARS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
K = 10
TEST_BASKETS = 5000
TSNE_PRODUCTS = 3000
GRID = {"ns_exponent": (-0.5, 0.0, 0.75, 1.0), "epochs": (5, 15)}
WORD2VEC_DEFAULTS = {"ns_exponent": 0.75, "epochs": 5}  # word2vec's and gensim's own


def project_settings() -> Item2VecSettings:
    return Item2VecSettings.from_meta({k: str(v) for k, v in VARS.items()})


def held_out_baskets(lines: duckdb.DuckDBPyRelation, start: dt.date, end: dt.date, seed: int) -> list[list[str]]:
    """A seeded sample of the baskets (two products or more) in [start, end)."""
    baskets = (
        lines.filter(f"order_date >= DATE '{start}' and order_date < DATE '{end}'")
        .aggregate("order_id, list(distinct product_id order by product_id) as products", "order_id")
        .filter("len(products) >= 2")
        .order("order_id")
        .fetchall()
    )
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(baskets), size=min(TEST_BASKETS, len(baskets)), replace=False)
    return [[str(p) for p in baskets[i][1]] for i in sorted(chosen)]


def popularity_hits(lines: duckdb.DuckDBPyRelation, before: dt.date, baskets: list[list[str]], seed: int) -> np.ndarray:
    """The same task ranked by product popularity (orders before ``before``)."""
    counts = (
        lines.filter(f"order_date < DATE '{before}'")
        .aggregate("product_id, count(distinct order_id) as orders", "product_id")
        .order("orders desc, product_id")
        .fetchall()
    )
    ranked = [str(p) for p, _ in counts]
    rng = np.random.default_rng(seed)
    hits = []
    known_products = set(ranked)
    for basket in baskets:
        known = [p for p in dict.fromkeys(basket) if p in known_products]
        if len(known) < 2:
            continue
        left_out = known.pop(int(rng.integers(len(known))))
        rest = set(known)
        top = [p for p in ranked[: K + len(rest)] if p not in rest][:K]
        hits.append(left_out in top)
    return np.array(hits, dtype=float)


def interval(hits: np.ndarray, seed: int = 7, samples: int = 1000) -> dict:
    rng = np.random.default_rng(seed)
    means = [hits[rng.integers(len(hits), size=len(hits))].mean() for _ in range(samples)]
    low, high = np.percentile(means, [2.5, 97.5])
    return {"recall_at_10": round(float(hits.mean()), 4), "ci_low": round(low, 4), "ci_high": round(high, 4)}


def train(lines, before: dt.date, settings: Item2VecSettings) -> tuple[list[str], np.ndarray, float, int]:
    started = time.perf_counter()
    corpus = basket_corpus(lines, before, settings.max_pairs)
    vectors = train_item2vec(corpus, settings)
    ids, matrix = product_matrix(vectors)
    return [str(i) for i in ids], matrix, time.perf_counter() - started, len(corpus)


def labels(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    """product_id (as text), category, department: the source's own hierarchy for The
    Complete Journey (finer than the warehouse's categories), the reference categories else."""
    if source == "completejourney":
        from metro_offers.adapters.completejourney import load_source

        products = load_source()["products"]
        return pd.DataFrame(
            {
                "product_id": products.product_id.astype(str),
                "category": products.product_category.fillna("?").astype(str),
                "department": products.department.fillna("?").astype(str),
            }
        )
    frame = con.sql(
        "select p.product_id, c.category_name as category, c.department from staging.stg_metro__products p "
        "join reference.categories c on p.category_id = c.category_id"
    ).df()
    return frame.assign(product_id=frame.product_id.astype(str))


def tsne_picture(products, vectors, table: pd.DataFrame, out: Path, title: str, seed: int) -> None:
    """The most frequent products (the model's first rows) in 2-D, by department and category."""
    n = min(TSNE_PRODUCTS, len(products))
    meta = pd.DataFrame({"product_id": products[:n]}).merge(table, on="product_id", how="left").fillna("?")
    xy = tsne_map(vectors[:n], seed)
    fig, axes = plt.subplots(1, 2, figsize=(16, 7.5))
    for ax, column in zip(axes, ("department", "category"), strict=True):
        values = meta[column].to_numpy()
        top = pd.Series(values).value_counts().index[:20]
        cmap = plt.get_cmap("tab20")
        for i, value in enumerate(top):
            mask = values == value
            ax.scatter(xy[mask, 0], xy[mask, 1], s=4, color=cmap(i % 20), label=str(value)[:28])
        rest = ~np.isin(values, top)
        ax.scatter(xy[rest, 0], xy[rest, 1], s=3, color="lightgrey", label="other")
        ax.set_title(f"{title}: {n:,} most frequent products by {column}")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.legend(fontsize=6, markerscale=3, loc="upper right", ncol=1 if column == "department" else 2)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def faiss_check(lines, products, vectors, cutoff: dt.date) -> dict:
    """Customers' vectors as of the cutoff against every product: exact vs HNSW."""
    history = OrderHistory.from_lines(
        lines.filter(f"order_date < DATE '{cutoff}'").project("customer_id, order_id, order_date, product_id").df()
    )
    customers = np.unique(history.order_customer)
    requests = pd.DataFrame({"customer_id": customers, "as_of_date": pd.Timestamp(cutoff)})
    started = time.perf_counter()
    half_life = float(VARS["item2vec_customer_half_life_days"])
    query, _ = customer_vectors(history, requests, np.array([int(p) for p in products]), vectors, half_life)
    vector_seconds = time.perf_counter() - started
    query = query[~np.isnan(query).any(axis=1)]
    unit = normalise(vectors)
    result = {
        "customers": len(query),
        "products_indexed": len(unit),
        "customer_vector_seconds": round(vector_seconds, 2),
    }
    exact_ids = None
    for kind in ("exact", "hnsw"):
        started = time.perf_counter()
        index = build_index(unit, dataclasses.replace(IndexSettings(), kind=kind))
        built = time.perf_counter() - started
        started = time.perf_counter()
        _, ids = nearest(index, query, K)
        seconds = time.perf_counter() - started
        result[kind] = {
            "build_seconds": round(built, 3),
            "search_seconds": round(seconds, 3),
            "microseconds_per_customer": round(seconds / len(query) * 1e6, 1),
        }
        if kind == "exact":
            exact_ids = ids
        else:
            result[kind]["recall_at_10_vs_exact"] = round(recall_against_exact(ids, exact_ids), 4)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", default=str(ROOT / "warehouse" / "metro_offers.duckdb"))
    parser.add_argument("--name", required=True, help="the data set's name in the result files")
    parser.add_argument("--source", choices=["synthetic", "completejourney"], default="synthetic")
    parser.add_argument("--skip-tuning", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(args.warehouse, read_only=True)
    pools = dict(con.sql("select pool, as_of_date from intermediate.int_pool_dates").fetchall())
    validation_date, cutoff, run_date = pools["training_1"], pools["evaluation"], pools["serving"]
    lines = con.sql("select customer_id, order_id, order_date, product_id from intermediate.int_order_lines_enriched")
    default = project_settings()
    report = {
        "name": args.name,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "dates": {"validation": str(validation_date), "cutoff": str(cutoff), "run_date": str(run_date)},
        "default_settings": default.as_dict(),
    }
    print(f"[item2vec bench] {args.name}: validation {validation_date}, cutoff {cutoff}, run date {run_date}")

    # tuning on the validation window
    if not args.skip_tuning:
        valid_baskets = held_out_baskets(lines, validation_date, cutoff, args.seed)
        grid = []
        for ns in GRID["ns_exponent"]:
            for epochs in GRID["epochs"]:
                settings = dataclasses.replace(default, ns_exponent=ns, epochs=epochs)
                products, vectors, seconds, _ = train(lines, validation_date, settings)
                hits = basket_completion_hits(products, vectors, valid_baskets, K, args.seed)
                grid.append({"ns_exponent": ns, "epochs": epochs, "seconds": round(seconds, 1), **interval(hits)})
                print(f"  validation ns_exponent {ns:+.2f} epochs {epochs:>2}: {grid[-1]}", flush=True)
        best = max(grid, key=lambda g: (g["recall_at_10"], -g["seconds"]))
        tuned = dataclasses.replace(default, ns_exponent=best["ns_exponent"], epochs=best["epochs"])
        report["validation_grid"] = grid
        report["tuned_settings"] = tuned.as_dict()
    else:
        tuned = default

    # test: word2vec's defaults, the project's settings and the tuned ones on the evaluation window
    test_baskets = held_out_baskets(lines, cutoff, run_date, args.seed + 1)
    test = {"baskets": len(test_baskets), "popularity": interval(popularity_hits(lines, cutoff, test_baskets, 0))}
    models = {}
    variants = {"word2vec_defaults": dataclasses.replace(default, **WORD2VEC_DEFAULTS), "project": default}
    variants["tuned"] = tuned
    for label, settings in variants.items():
        same = next((other for other, s in variants.items() if s == settings and other in test), None)
        if same:
            test[label] = {**test[same], "same_as": same}
            models[label] = models[same]
            continue
        products, vectors, seconds, baskets = train(lines, cutoff, settings)
        models[label] = (products, vectors)
        test[label] = {
            "training_seconds": round(seconds, 1),
            "corpus_baskets": baskets,
            "products": len(products),
            **interval(basket_completion_hits(products, vectors, test_baskets, K, args.seed)),
        }
        print(f"  test {label}: {test[label]}", flush=True)
    report["basket_completion_test"] = test

    # neighbour purity of each model (the same corpus: settings differ in epochs and ns_exponent only)
    products, vectors = models["project"]
    table = labels(con, args.source)
    meta = pd.DataFrame({"product_id": products}).merge(table, on="product_id", how="left").fillna("?")
    corpus = basket_corpus(lines, cutoff, default.max_pairs)
    neighbours = {label: nearest_neighbours(models[label][1], K)[0] for label in ("word2vec_defaults", "project")}
    counted = cooccurrence_neighbours(corpus, products, K)
    report["purity_at_10"] = {}
    for column in ("category", "department"):
        truth = meta[column].to_numpy()
        report["purity_at_10"][column] = {
            **{f"item2vec_{label}": round(purity_at_k(n, truth), 4) for label, n in neighbours.items()},
            "cooccurrence_counts": round(purity_at_k(counted, truth), 4),
            "random": round(random_purity(truth), 4),
        }
    print(f"  purity@10: {report['purity_at_10']}", flush=True)

    report["faiss"] = faiss_check(lines, products, vectors, cutoff)
    print(f"  faiss: {report['faiss']}", flush=True)
    picture = out_dir / f"item2vec_tsne_{args.name}.png"
    tsne_picture(products, vectors, table, picture, args.name, args.seed)
    report["tsne_picture"] = str(picture.relative_to(ROOT))
    out = out_dir / f"item2vec_{args.name}.json"
    out.write_text(json.dumps(report, indent=1))
    print(f"[item2vec bench] written to {out} and {picture}")


if __name__ == "__main__":
    main()
