"""End to end on small generated data: validate, dbt build (every model, data test and unit
test), rejected rows, idempotence, another run date, a refused landing, the docs site."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from metro_offers.anchors import anchor_date
from metro_offers.generator import generate
from metro_offers.landing import write_table
from metro_offers.pools import EVALUATION_POOL, SERVING_POOL
from metro_offers.ranking.rankers import RANKERS
from metro_offers.reference import project_root
from metro_offers.snapshot import default_snapshot_path
from metro_offers.studies import study_period
from metro_offers.uplift.decision import expected_incremental_margin
from metro_offers.var_settings import project_vars
from metro_offers.warehouse_diff import IDENTICAL, NEAR_EQUAL, compare_warehouses

from conftest import BUILT_VARS, CLI, CONFIG, query, run_cli, run_dbt

pytestmark = pytest.mark.slow


def test_build_runs_every_model_test_and_unit_test(built):
    _, _, manifest, result = built
    out = result.stdout
    assert "[validate]" in out and "all passed" in out
    assert "ERROR=0" in out and "SKIP=0" in out
    assert "unit_test" in out
    # the one warning: rejected_rows is not empty (the bad rows this test landed)
    assert re.search(r"\bWARN=1\b", out)
    assert f"built as of {manifest['default_run_date']}" in out


def test_bad_rows_are_quarantined_with_their_rule(built):
    _, warehouse, _, _ = built
    rejected = query(warehouse, "select source_table, rejection_reason, source_row from marts.rejected_rows")
    reasons = set(zip(rejected.source_table, rejected.rejection_reason, strict=True))
    assert {
        ("order_items", "duplicate_key"),
        ("order_items", "unknown_product"),
        ("order_items", "non_positive_quantity"),
        ("orders", "unknown_customer"),
        ("redemptions", "no_backing_order_line"),
        ("offer_products", "duplicate_key"),
        ("offer_products", "unknown_offer"),
        ("offer_products", "unknown_product"),
        ("offer_products", "null_key"),
    } <= reasons
    # the row itself is kept, readable as JSON
    orders = rejected[rejected.source_table == "orders"]
    assert json.loads(orders.source_row.iloc[0])["customer_id"] == 999_999
    # a key landed twice: the later batch's copy is kept, the history's copy is rejected
    dup = query(
        warehouse, "select source_table, source_file from marts.rejected_rows where rejection_reason = 'duplicate_key'"
    )
    assert sorted(dup.source_table) == ["offer_products", "order_items"]
    assert dup.source_file.str.contains(r"_history(?:_part\d{4})?\.parquet$").all()
    # offers keep the products whose rows were accepted
    offer_products = query(warehouse, "select count(*) as n from staging.stg_metro__offer_products")
    assert offer_products.n.iloc[0] == int(
        query(
            warehouse, "select count(*) as n from staging.base_metro__offer_products where rejection_reason is null"
        ).n.iloc[0]
    )


def test_every_strategy_contributes_to_the_pool(built):
    _, warehouse, _, _ = built
    stats = query(warehouse, f"select * from marts.candidate_strategy_stats where pool = '{SERVING_POOL}'")
    stats = stats.set_index("strategy_name")
    assert set(stats.index) == {"category_affinity", "segment_popularity", "repeat_purchase", "high_margin", "item2vec"}
    assert (stats.share_of_pool > 0).all()
    pool = query(
        warehouse,
        "select count(*) as n, count(distinct customer_id) as customers "
        f"from marts.candidate_pool where pool = '{SERVING_POOL}'",
    )
    assert pool.n[0] > 0 and pool.customers[0] > 0.9 * CONFIG.customers


def test_item2vec_retrieval_keeps_its_quota_and_learns_before_each_pool(built):
    _, warehouse, _, _ = built
    quota = yaml.safe_load((project_root() / "dbt_project.yml").read_text())["vars"]["candidate_quotas"]["item2vec"]
    per_customer = query(
        warehouse,
        "select pool, customer_id, count(*) as n, max(strategy_rank) as worst "
        "from intermediate.int_candidates_item2vec group by all",
    )
    assert len(per_customer) and per_customer.n.max() <= quota and (per_customer.n == per_customer.worst).all()
    # the nearest offers first: the rank follows the cosine of the customer's and the offer's vectors
    ranked = query(
        warehouse,
        f"""
        select candidates.strategy_rank, array_cosine_similarity(customers.customer_vector, offers.vector) as cosine
        from intermediate.int_candidates_item2vec as candidates
        join ml.item2vec_customer_vectors as customers using (customer_id, as_of_date)
        join ml.item2vec_offer_vectors as offers
            on candidates.offer_id = offers.offer_id and customers.anchor_date = offers.anchor_date
        where candidates.pool = '{SERVING_POOL}' and candidates.customer_id = (
            select min(customer_id) from intermediate.int_candidates_item2vec where pool = '{SERVING_POOL}')
        order by candidates.strategy_rank
        """,
    )
    assert ranked.cosine.is_monotonic_decreasing
    # every pool's model learnt from baskets strictly before the pool's date
    anchors = query(
        warehouse,
        "select pools.pool, pools.as_of_date, max(vectors.anchor_date) as anchor "
        "from intermediate.int_pool_dates as pools join ml.item2vec_customer_vectors as vectors "
        "on vectors.as_of_date = pools.as_of_date group by all",
    )
    assert len(anchors) and (anchors.anchor <= anchors.as_of_date).all()
    embeddings = query(warehouse, "select count(*) as n from marts.product_embeddings")
    assert embeddings.n[0] > 0


def test_the_sasrec_offer_feature_is_its_anchor_models_probability_before_each_pool(built):
    _, warehouse, _, _ = built
    # each pool's value is the probability of the offer's product set, from a model anchored
    # at or before the pool's date; a pool before the first anchor has none
    pools = query(
        warehouse,
        """
        select features.pool, pools.as_of_date, count(*) as candidates,
            count(features.sasrec_offer_probability) as valued,
            count(probabilities.sasrec_offer_probability) as found,
            max(abs(features.sasrec_offer_probability - probabilities.sasrec_offer_probability)) as difference,
            max(probabilities.anchor_date) as anchor
        from marts.candidate_features as features
        join intermediate.int_pool_dates as pools using (pool)
        join intermediate.int_offer_product_sets as sets using (offer_id)
        left join ml.sasrec_offer_probabilities as probabilities
            on features.customer_id = probabilities.customer_id and pools.as_of_date = probabilities.as_of_date
            and sets.product_set_id = probabilities.product_set_id
        group by all
        """,
    )
    assert (pools.valued == pools.found).all() and (pools.difference.dropna() == 0).all()
    assert (pools.anchor.dropna() <= pools.as_of_date[pools.anchor.notna()]).all()
    serving = pools[pools.pool == SERVING_POOL].iloc[0]
    assert serving.valued > 0.9 * serving.candidates  # active customers have baskets the model knows
    values = query(warehouse, "select sasrec_offer_probability as p from ml.sasrec_offer_probabilities")
    assert values.p.between(0, 1 + 1e-6).all() and values.p.std() > 0


def test_features_are_as_of_the_run_date(built):
    _, warehouse, manifest, _ = built
    run_date = pd.Timestamp(manifest["default_run_date"])
    features = query(warehouse, "select * from marts.customer_features")
    assert (features.as_of_date == run_date).all()
    assert (features.last_order_date.dropna() < run_date).all()
    rfm_by_hand = (
        query(
            warehouse,
            f"""
        select o.customer_id, count(distinct o.order_id) as frequency
        from staging.stg_metro__orders o
        where o.order_date < date '{run_date.date()}'
          and o.order_date >= date '{run_date.date()}' - interval 365 day
        group by 1
        """,
        )
        .set_index("customer_id")
        .frequency
    )
    merged = features.set_index("customer_id").frequency.reindex(rfm_by_hand.index)
    # orders whose every line was rejected have no revenue line; all others count
    assert (merged == rfm_by_hand).mean() > 0.99


def test_recommendations_rank_the_pool_with_the_registered_model(built):
    _, warehouse, manifest, result = built
    assert "[ranker] registered" in result.stdout
    recs = query(warehouse, "select * from marts.recommendations")
    registry = query(warehouse, "select * from marts.model_registry")
    assert len(registry) == 1 and registry.is_live.all()
    assert (recs.model_version == registry.model_version[0]).all()
    assert (recs.run_date == pd.Timestamp(manifest["default_run_date"])).all()
    assert (recs.recommendation_source == "ranker").all()  # every customer has candidates here
    assert recs.score.between(0, 1).all()
    per_customer = recs.groupby("customer_id")
    assert per_customer.size().max() <= 10
    # ranks run 1..n per customer and follow the score
    assert (per_customer.recommendation_rank.max() == per_customer.size()).all()
    ordered = recs.sort_values(["customer_id", "recommendation_rank"])
    assert (ordered.groupby("customer_id").score.diff().dropna() <= 0).all()
    # every customer with candidates gets recommendations
    pool_customers = query(
        warehouse, f"select count(distinct customer_id) as n from marts.candidate_pool where pool = '{SERVING_POOL}'"
    ).n[0]
    assert recs.customer_id.nunique() == pool_customers


def test_uplift_learners_learn_before_their_cutoff_and_the_outcome_is_what_was_bought(built):
    _, warehouse, manifest, result = built
    assert "[uplift] training for the cutoff" in result.stdout
    variables = yaml.safe_load((project_root() / "dbt_project.yml").read_text())["vars"]
    run_date = dt.date.fromisoformat(manifest["default_run_date"])
    cutoff = anchor_date(
        run_date - dt.timedelta(days=variables["evaluation_holdout_days"]), variables["uplift_every_days"]
    )
    registry = query(warehouse, "select * from marts.uplift_model_registry")
    assert set(registry.learner) == {"s_learner", "t_learner", "x_learner"}
    assert (registry.cutoff == pd.Timestamp(cutoff)).all()
    assert (registry.training_window_end <= pd.Timestamp(cutoff)).all()
    examples = query(warehouse, "select * from marts.uplift_examples")
    train, evaluation = examples[examples.split == "train"], examples[examples.split == "evaluation"]
    assert (train.outcome_window_end <= pd.Timestamp(cutoff)).all()
    assert (evaluation.impression_date >= pd.Timestamp(cutoff)).all()
    assert (~examples.shown).any() and examples.shown.any()
    # the outcome by hand: an order line of one of the offer's products from the impression day,
    # before impression_date + label_window_days and after the offer's last day never
    bought = query(
        warehouse,
        f"""
        select distinct examples.impression_id
        from marts.uplift_examples as examples
        inner join staging.stg_metro__offers as offers on examples.offer_id = offers.offer_id
        inner join staging.stg_metro__offer_products as offer_products on examples.offer_id = offer_products.offer_id
        inner join staging.stg_metro__orders as orders on examples.customer_id = orders.customer_id
        inner join staging.stg_metro__order_items as items
            on orders.order_id = items.order_id and items.product_id = offer_products.product_id
        where orders.order_date >= examples.impression_date
          and orders.order_date < examples.impression_date + {variables["label_window_days"]}
          and orders.order_date <= offers.end_date
        """,
    ).impression_id
    assert set(examples.impression_id[examples.bought_offer_products]) == set(bought)
    # the decision: campaign_targeting's margin is the Python formula on every candidate
    targeting = query(
        warehouse,
        """
        select targeting.*, economics.base_price, economics.unit_cost, offers.discount_pct
        from marts.campaign_targeting as targeting
        inner join intermediate.int_offer_economics as economics on targeting.offer_id = economics.offer_id
        inner join staging.stg_metro__offers as offers on targeting.offer_id = offers.offer_id
        """,
    )
    [serving] = registry.learner[registry.is_serving]
    assert targeting.uplift.notna().all() and (targeting.uplift_learner == serving).all()
    expected = expected_incremental_margin(
        targeting.uplift, targeting.p_redeem, targeting.base_price, targeting.unit_cost, targeting.discount_pct
    )
    assert targeting.expected_incremental_margin.to_numpy() == pytest.approx(expected)
    evaluated = query(warehouse, "select * from marts.uplift_evaluation where evaluation = 'targeting'")
    assert {"s_learner", "t_learner", "x_learner", "random", "oracle"} <= set(evaluated.method)


def test_offline_evaluation_ranks_every_method_on_the_evaluation_pool(built):
    _, warehouse, manifest, _ = built
    run_date = pd.Timestamp(manifest["default_run_date"])
    cutoff = run_date - pd.Timedelta(days=28)
    pool = query(warehouse, f"select * from marts.candidate_pool where pool = '{EVALUATION_POOL}'")
    assert len(pool) > 0 and (pool.as_of_date == cutoff).all()
    # the evaluated customers are exactly those who redeemed in [cutoff, run_date)
    redeemers = query(
        warehouse,
        f"select distinct customer_id from staging.stg_metro__redemptions "
        f"where redemption_date >= '{cutoff.date()}' and redemption_date < '{run_date.date()}'",
    )
    assert set(pool.customer_id) == set(redeemers.customer_id)
    table = query(warehouse, "select * from marts.offline_evaluation")
    assert set(table.method) == {"random", *RANKERS, "oracle"}
    assert "wide_deep" in RANKERS
    assert (table.evaluation_cutoff == cutoff).all()
    value = table.set_index(["method", "subset", "metric"]).metric_value
    assert value[("oracle", "all", "ndcg")] > value[("random", "all", "ndcg")]
    assert value[("oracle", "all", "expected_redemptions_share_of_oracle")] == pytest.approx(1.0)
    printed = run_cli("evaluate", warehouse=warehouse).stdout
    assert "LightGBM" in printed and "P-TopFreq" in printed and f"cutoff {cutoff.date()}" in printed


def test_an_external_ranker_listed_in_the_var_is_evaluated_beside_the_others(built, tmp_path):
    """docs/architecture.md section 7: a new ranker is a model writing (customer, offer, score) for the
    evaluation pool plus a line in var evaluation_external_rankers."""
    data, warehouse, manifest, _ = built
    copy = tmp_path / "external.duckdb"
    shutil.copy(warehouse, copy)
    shutil.copytree(warehouse.with_suffix(".models"), copy.with_suffix(".models"))
    variables = {
        "run_date": manifest["default_run_date"],
        "raw_root": str(data / "raw"),
        "truth_root": str(data / "truth"),
        "model_store_dir": str(copy.with_suffix(".models")),
        "evaluation_external_rankers": ["retrieval_rank"],
    }
    run_dbt("build", "--select", "int_evaluation_external_scores+", warehouse=copy, variables=variables)
    table = query(copy, "select * from marts.offline_evaluation")
    assert "retrieval_rank" in set(table.method) and "lightgbm" in set(table.method)
    ndcg = table[(table.subset == "all") & (table.metric == "ndcg")].set_index("method").metric_value
    assert 0 < ndcg["retrieval_rank"] <= 1


def test_rebuilding_the_same_date_changes_nothing(built):
    data, warehouse, _, _ = built
    queries = [
        "select * from marts.candidate_features order by pool, customer_id, offer_id",
        "select * from marts.recommendations order by customer_id, recommendation_rank",
    ]
    before = [query(warehouse, sql) for sql in queries]
    result = run_cli("build", "--data-dir", str(data), "--skip-validation", *BUILT_VARS, warehouse=warehouse)
    assert "[ranker] training" not in result.stdout  # the registered model is reused
    assert "[study] offline_evaluation: reusing" in result.stdout  # and so is its evaluation
    for sql, frame in zip(queries, before, strict=True):
        pd.testing.assert_frame_equal(frame, query(warehouse, sql))


def test_build_as_of_an_earlier_date(built, tmp_path):
    data, warehouse, _, _ = built
    earlier_warehouse = tmp_path / "earlier.duckdb"
    run_date = CONFIG.end_date - dt.timedelta(days=30)
    run_cli(
        "build", "--data-dir", str(data), "--run-date", str(run_date), "--skip-validation", warehouse=earlier_warehouse
    )
    features = query(earlier_warehouse, "select * from marts.customer_features")
    assert (features.last_order_date.dropna() < pd.Timestamp(run_date)).all()
    offers = query(earlier_warehouse, "select * from marts.offer_features")
    offers_landed = pq.read_table(data / "raw" / "offers").to_pandas()
    live = offers_landed[(offers_landed.start_date <= run_date) & (offers_landed.end_date >= run_date)]
    assert set(offers.offer_id) == set(live.offer_id)


def test_a_killed_build_leaves_no_dbt_behind_and_the_snapshot_served(built, tmp_path):
    data, warehouse, _, _ = built
    copy = tmp_path / "metro.duckdb"
    shutil.copy(warehouse, copy)
    shutil.copytree(warehouse.with_suffix(".models"), copy.with_suffix(".models"))
    snapshot = default_snapshot_path(copy)
    shutil.copy(default_snapshot_path(warehouse), snapshot)
    served = snapshot.stat().st_ino, snapshot.stat().st_mtime_ns
    env = {
        **os.environ,
        "METRO_WAREHOUSE": str(copy),
        "METRO_MODEL_STORE": str(copy.with_suffix(".models")),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "PYTHONUNBUFFERED": "1",  # dbt's lines arrive as it writes them
    }
    build = subprocess.Popen(
        [CLI, "build", "--data-dir", str(data), "--skip-validation"],
        env=env,
        cwd=project_root(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in build.stdout:  # until dbt works on the warehouse
        if " START " in line:
            break
    build.send_signal(signal.SIGTERM)
    build.communicate(timeout=120)
    assert build.returncode != 0
    # no dbt child holds the warehouse: it opens for writing, and the old snapshot is still served
    duckdb.connect(str(copy)).close()
    assert (snapshot.stat().st_ino, snapshot.stat().st_mtime_ns) == served
    run_cli("build", "--data-dir", str(data), "--skip-validation", warehouse=copy)
    assert snapshot.stat().st_mtime_ns != served[1]


def test_a_broken_landing_is_refused_and_nothing_is_built(built, tmp_path):
    data, _, _, _ = built
    broken = tmp_path / "data"
    shutil.copytree(data, broken)
    [path] = (broken / "raw" / "customers").glob("*.parquet")
    pq.write_table(pq.read_table(path).drop_columns(["segment"]), path)
    warehouse = tmp_path / "never.duckdb"
    result = run_cli("build", "--data-dir", str(broken), warehouse=warehouse, check=False)
    assert result.returncode != 0
    assert "customers.segment: column_present" in result.stderr
    assert not warehouse.exists()


def test_docs_site_describes_every_node_and_column(built, tmp_path):
    data, warehouse, _, _ = built
    target = tmp_path / "target"
    variables = {"raw_root": str(data / "raw")}
    run_dbt("docs", "generate", "--static", warehouse=warehouse, variables=variables, target=target)
    assert (target / "static_index.html").stat().st_size > 100_000
    nodes = json.loads((target / "manifest.json").read_text())
    undocumented = []
    for kind in ("nodes", "sources", "macros", "exposures"):
        for unique_id, node in nodes[kind].items():
            generic_test = node.get("resource_type") == "test" and not node["original_file_path"].startswith("tests/")
            hook = node.get("resource_type") == "operation"  # on-run-start/end: documented with their macros
            if node.get("package_name") != "metro_offers" or generic_test or hook:
                continue
            if not node.get("description", "").strip():
                undocumented.append(unique_id)
            for column in (node.get("columns") or {}).values():
                if not column.get("description", "").strip():
                    undocumented.append(f"{unique_id}.{column['name']}")
    assert undocumented == []
    # the lineage reaches the readers: recommendations feeds the explorer view and the API
    exposures = nodes["exposures"]
    assert {"dashboard_recommendation_explorer", "serving_api"} <= {e["name"] for e in exposures.values()}
    recommendations = "model.metro_offers.served_recommendations"
    readers = {e["name"] for e in exposures.values() if recommendations in e["depends_on"]["nodes"]}
    assert {"dashboard_recommendation_explorer", "dashboard_diversity", "serving_api"} <= readers
    # the readers read marts (and reference seeds) only: contracted, tested, in the lineage
    for exposure in exposures.values():
        for node in exposure["depends_on"]["nodes"]:
            read = nodes["nodes"][node]
            assert read["resource_type"] == "seed" or read["original_file_path"].startswith("models/marts/"), (
                exposure["name"],
                node,
            )
    catalog = json.loads((target / "catalog.json").read_text())
    assert "model.metro_offers.candidate_pool" in catalog["nodes"]


def test_daily_run_lands_a_day_builds_and_logs_the_run_once_per_build(built, tmp_path):
    data, _, _, _ = built
    copy, warehouse = tmp_path / "data", tmp_path / "daily.duckdb"
    shutil.copytree(data, copy)
    day = CONFIG.end_date + dt.timedelta(days=1)
    run_cli("daily", "--date", str(day), "--data-dir", str(copy), warehouse=warehouse)
    sql = "select * from marts.candidate_features order by pool, customer_id, offer_id"
    first = query(warehouse, sql)
    landed = query(warehouse, f"select count(*) as n from staging.stg_metro__orders where order_date = '{day}'")
    assert landed.n[0] > 0
    # the same day again: nothing new lands and the warehouse is the same
    second_run = run_cli("daily", "--date", str(day), "--data-dir", str(copy), warehouse=warehouse)
    assert "already landed" in second_run.stdout
    pd.testing.assert_frame_equal(first, query(warehouse, sql))
    runs = query(warehouse, "select * from ops.pipeline_runs order by started_at")
    assert len(runs) == 2
    assert (runs.run_date == pd.Timestamp(day)).all() and (runs.status == "success").all()
    assert (runs.nodes_failed == 0).all() and (runs.nodes_succeeded > 200).all()
    live_model = query(warehouse, "select model_version from marts.model_registry where is_live")
    assert (runs.model_version == live_model.model_version[0]).all()
    counts = json.loads(runs.row_counts.iloc[-1])
    assert counts["candidate_pool"] == len(first)
    # a day out of order is refused with a clear message
    skipped = run_cli(
        "daily", "--date", str(day + dt.timedelta(days=2)), "--data-dir", str(copy), warehouse=warehouse, check=False
    )
    assert skipped.returncode != 0 and "next day to land is" in skipped.stderr


def land_a_correction(data: Path, warehouse: Path, batch: str) -> pd.Series:
    """A correction batch: an old order re-landed a week after a training pair's as-of date
    of its customer (it was before it), one of its lines re-landed with one more unit (the
    later copy wins) and a line of an unknown product. Returns the order and the pair's
    features before the correction."""
    moved = query(
        warehouse,
        """
        select orders.order_id, orders.customer_id, rfm.as_of_date, rfm.frequency
        from staging.stg_metro__orders as orders
        inner join intermediate.int_customer_rfm as rfm
            on rfm.customer_id = orders.customer_id
            and rfm.as_of_date between orders.order_date + 1 and orders.order_date + 7
        where rfm.as_of_date < (select max(order_date) from staging.stg_metro__orders) - 60
            and exists (
                select 1 from staging.stg_metro__impressions as shown
                where shown.customer_id = rfm.customer_id
                    and date_trunc('week', shown.impression_date) = rfm.as_of_date
            )
        order by orders.order_id
        limit 1
        """,
    ).iloc[0]
    raw = data / "raw"
    orders = pd.read_parquet(raw / "orders")
    order = orders[orders.order_id == moved.order_id].assign(order_date=moved.as_of_date.date() + dt.timedelta(days=7))
    write_table(order, "orders", raw / "orders" / f"{batch}.parquet")
    lines = pd.read_parquet(raw / "order_items")
    relanded = lines[lines.order_id == moved.order_id].head(1)
    unknown = lines.head(1).assign(line_number=999, product_id=10**9)
    corrected = pd.concat([relanded.assign(quantity=relanded.quantity + 1), unknown], ignore_index=True)
    write_table(corrected, "order_items", raw / "order_items" / f"{batch}.parquet")
    return moved


def test_daily_runs_give_the_warehouse_a_full_rebuild_gives(built, tmp_path):
    """Three days landed one by one with `daily` (the last one inside the study period the
    second opened, so it reuses the evaluations and studies) and a correction batch before the
    third, then the last day built in a fresh warehouse with the models the daily runs kept:
    every table equal (money sums are exact; averages of doubles may differ in the last bits,
    within warehouse_diff's tolerance). The incremental
    as-of features (macros/as_of_increments.sql) recompute the pairs the correction touches."""
    data, _, _, _ = built
    copy, warehouse = tmp_path / "data", tmp_path / "daily.duckdb"
    shutil.copytree(data, copy)
    days = [CONFIG.end_date + dt.timedelta(days=offset) for offset in (1, 2, 3)]
    assert [study_period(day, project_vars()["study_every_days"]) for day in days[1:]] == [str(days[1])] * 2
    runs = [run_cli("daily", "--date", str(day), "--data-dir", str(copy), warehouse=warehouse) for day in days[:2]]
    moved = land_a_correction(copy, warehouse, f"landed_{days[1]}_fix")
    runs.append(run_cli("daily", "--date", str(days[2]), "--data-dir", str(copy), warehouse=warehouse))
    # the incremental as-of features saw the correction: the order now falls after the pair's
    # as-of date, so its frequency is one less; the old copies and the bad line are quarantined
    pair = f"customer_id = {moved.customer_id} and as_of_date = '{moved.as_of_date.date()}'"
    after = query(warehouse, f"select frequency from intermediate.int_customer_rfm where {pair}")
    assert after.frequency.tolist() == [moved.frequency - 1]
    rejected = query(
        warehouse,
        "select source_table, rejection_reason, source_file from marts.rejected_rows "
        f"where source_file like '%landed_{days[1]}_fix%' or (source_table in ('orders', 'order_items') "
        f"and source_row->>'order_id' = '{moved.order_id}')",
    )
    assert sorted(zip(rejected.source_table, rejected.rejection_reason, strict=True)) == [
        ("order_items", "duplicate_key"),
        ("order_items", "unknown_product"),
        ("orders", "duplicate_key"),
    ]
    reused = {line.split()[1].rstrip(":") for line in runs[-1].stdout.splitlines() if line.startswith("[study]")}
    expected = {"next_basket_harness", "uplift_scores"}  # their models did not change that day
    if "[ranker] registered" not in runs[-1].stdout:  # nor the ranker (drift may retrain it on small data)
        expected |= {"offline_evaluation", "uplift_harness", "bandit_simulation", "bandit_ope"}
    assert expected <= reused, runs[-1].stdout[-3000:]
    fresh = tmp_path / "fresh.duckdb"
    shutil.copytree(warehouse.with_suffix(".models"), fresh.with_suffix(".models"))
    run_cli("build", "--data-dir", str(copy), "--run-date", str(days[-1]), "--skip-validation", warehouse=fresh)
    verdicts = compare_warehouses(warehouse, fresh)
    assert len(verdicts) > 90
    # the drift log keeps a row per feature and run date: the daily warehouse has every day's
    assert {table: v for table, v in verdicts.items() if v not in (IDENTICAL, NEAR_EQUAL)}.keys() <= {"marts.drift_log"}
    last_day = f"select * from marts.drift_log where run_date = '{days[-1]}' order by feature"
    pd.testing.assert_frame_equal(query(warehouse, last_day), query(fresh, last_day), rtol=1e-9)


def test_drift_is_logged_per_run_date_and_retrains_when_it_recommends(drift_builds):
    _, later, states = drift_builds
    assert len(states["earlier"]["drift_log"]) == 0  # no model to compare against yet
    assert len(states["earlier"]["registry"]) == 1
    # a month later the live offers have changed: at least var retrain_min_alert_features (3)
    # features alert, one row per feature of the live model
    features = json.loads(states["earlier"]["registry"].features.iloc[0])
    for name in ("rule_out_of_reach", "later"):
        log = states[name]["drift_log"]
        assert set(log.run_date) == {pd.Timestamp(later)} and sorted(log.feature) == sorted(features)
        assert (log.severity == "alert").sum() >= 3
    # each build records the settings it judged by, overrides included (the dashboard draws them)
    assert states["rule_out_of_reach"]["drift_settings"].retrain_min_alert_features.tolist() == [999]
    assert states["later"]["drift_settings"].retrain_min_alert_features.tolist() == [3]
    # with the rule out of reach nothing is recommended and the same model stays live
    assert not states["rule_out_of_reach"]["drift_log"].retrain_recommended.any()
    pd.testing.assert_frame_equal(states["rule_out_of_reach"]["registry"], states["earlier"]["registry"])
    # with the project's rule it is, and rebuilding the date retrains once and replaces the log's rows
    assert states["later"]["drift_log"].retrain_recommended.all()
    registry = states["later"]["registry"]
    assert len(registry) == 2 and registry.retrain_reason.iloc[-1].startswith("drift: ")
    assert registry.is_live.tolist() == [False, True]


def test_a_segment_behaviour_shift_makes_customer_features_alert(built, tmp_path):
    """The legacy drift check compared a snapshot with itself and never fired. Here Budget
    customers (40%) nearly stop visiting four weeks before the end of history: recency drifts to
    alert, while the same two builds on unshifted data leave it quiet."""
    data, _, _, _ = built
    shift_from = CONFIG.end_date - dt.timedelta(days=27)
    shifted = tmp_path / "shifted"
    generate(
        dataclasses.replace(
            CONFIG,
            shift_segment="budget",
            shift_from=shift_from,
            shift_visit_multiplier=0.1,
            shift_basket_multiplier=2.5,
        ),
        shifted,
        echo=lambda _: None,
    )
    psi = {}
    for name, landing in (("shifted", shifted), ("unshifted", data)):
        warehouse = tmp_path / f"{name}.duckdb"
        for run_date in (shift_from, CONFIG.end_date + dt.timedelta(days=1)):
            run_cli(
                "build",
                "--data-dir",
                str(landing),
                "--run-date",
                str(run_date),
                "--skip-validation",
                warehouse=warehouse,
            )
        psi[name] = query(warehouse, "select feature, psi, severity from marts.drift_log").set_index("feature")
    assert psi["shifted"].loc["recency_days", "severity"] == "alert"
    assert psi["unshifted"].loc["recency_days", "severity"] != "alert"
    assert psi["shifted"].loc["recency_days", "psi"] > 3 * psi["unshifted"].loc["recency_days", "psi"]
