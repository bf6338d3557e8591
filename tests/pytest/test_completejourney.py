"""The Complete Journey adapter and benchmark on a slice of the real data (300 households):
the mapping by hand, the raw contract, nothing lost without a count, the same dbt build, and
the benchmark command."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from metro_offers.adapters import completejourney as cj
from metro_offers.landing import write_table
from metro_offers.ranking.rankers import RANKERS
from metro_offers.raw_contract import PRIMARY_KEYS
from metro_offers.reference import project_root
from metro_offers.snapshot import default_snapshot_path

from conftest import query, run_cli

pytestmark = pytest.mark.slow
HOUSEHOLDS = 300
APP = str(project_root() / "src" / "metro_offers" / "dashboard" / "app.py")


@pytest.fixture(scope="module")
def source():
    return cj.load_source(HOUSEHOLDS)


@pytest.fixture(scope="module")
def landed(source):
    return cj.build_tables(source)


def test_categories_map_by_the_ordered_rules():
    pairs = [
        ("GROCERY", "SOFT DRINKS", 7),
        ("MEAT", "BEEF", 1),
        ("GROCERY", "FRZN MEAT/MEAT DINNERS", 6),  # frozen wins over meat
        ("DRUG GM", "DIAPERS & DISPOSABLES", 18),  # baby wins over paper
        ("GROCERY", "BEERS/ALES", 8),
        ("PRODUCE", "TROPICAL FRUIT", 4),
        ("GROCERY", "SOMETHING NEW", 14),  # the grocery default
        (None, None, 14),  # no information: the fallback
    ]
    mapped = cj.map_category(pd.Series([p[0] for p in pairs]), pd.Series([p[1] for p in pairs]))
    assert mapped.tolist() == [p[2] for p in pairs]


def test_the_slice_lands_in_the_raw_contract_with_nothing_lost_uncounted(source, landed, tmp_path):
    tables, quarantine, offer_keys, report = landed
    for name, frame in tables.items():
        write_table(frame, name, tmp_path / f"{name}.parquet")  # raises on a contract mismatch
        assert not frame.duplicated(list(PRIMARY_KEYS[name])).any(), name
    left_out = sum(report["transactions_left_out"].values())
    assert len(tables["order_items"]) + left_out == len(source["transactions"])
    assert len(tables["redemptions"]) + len(quarantine) == len(source["coupon_redemptions"])
    assert quarantine.reason.str.startswith("no basket line").all()
    # one impression per household and coupon of its campaigns, targeted, propensity unknown
    coupons = source["coupons"].groupby("campaign_id").coupon_upc.nunique()
    assert len(tables["impressions"]) <= int(source["campaigns"].campaign_id.map(coupons).sum())
    impressions = tables["impressions"]
    assert (impressions.policy == "targeted").all() and impressions.selection_propensity.isna().all()
    assert not impressions.is_control.any()
    # every landed redemption is on its household's impression of that offer
    joined = tables["redemptions"].merge(impressions, on="impression_id", suffixes=("", "_shown"))
    assert len(joined) == len(tables["redemptions"])
    assert (joined.customer_id == joined.customer_id_shown).all() and (joined.offer_id == joined.offer_id_shown).all()
    # each coupon's products, as the source lists them, limited to landed products
    pairs = tables["offer_products"].merge(offer_keys, on="offer_id")
    source_pairs = source["coupons"][["campaign_id", "coupon_upc", "product_id"]].drop_duplicates()
    source_pairs = source_pairs[source_pairs.product_id.isin(tables["products"].product_id)]
    assert len(pairs) == len(source_pairs.merge(offer_keys, on=["campaign_id", "coupon_upc"]))
    assert set(tables["offer_products"].offer_id) == set(tables["offers"].offer_id)
    customers = tables["customers"]
    assert set(customers.segment) <= {"budget", "premium", "family", "horeca"}
    first_order = tables["orders"].groupby("customer_id").order_date.min().dt.date
    assert (customers.set_index("customer_id").signup_date.reindex(first_order.index) <= first_order).all()
    offers = tables["offers"]
    assert offers.discount_pct.between(0.01, 0.9).all() and (offers.end_date >= offers.start_date).all()
    assert sum(report["offer_discount_depth"].values()) == len(offers)
    assert offer_keys.offer_id.tolist() == offers.offer_id.tolist()


def test_the_same_dbt_build_runs_on_it_and_the_benchmark_reports_every_method(tmp_path, monkeypatch):
    data, warehouse = tmp_path / "cj", tmp_path / "cj.duckdb"
    run_cli("ingest", "completejourney", "--households", str(HOUSEHOLDS), "--data-dir", str(data), warehouse=warehouse)
    result = run_cli("build", "--data-dir", str(data), warehouse=warehouse)
    assert "ERROR=0" in result.stdout and "[publish]" in result.stdout
    recs = query(warehouse, "select * from marts.recommendations")
    assert len(recs) > 0 and recs.score.between(0, 1).all()
    methods = set(query(warehouse, "select distinct method from marts.offline_evaluation").method)
    assert "lightgbm" in methods and "oracle" not in methods  # no truth for real data
    # no randomised control group: no uplift learner, no uplift number, and the build log says why
    assert "no randomised control group" in result.stdout
    assert query(warehouse, "select count(*) as n from marts.uplift_model_registry").n[0] == 0
    assert query(warehouse, "select count(*) as n from marts.uplift_evaluation").n[0] == 0
    assert query(warehouse, "select count(uplift) as n from marts.campaign_targeting").n[0] == 0
    monkeypatch.setenv("METRO_SNAPSHOT", str(default_snapshot_path(warehouse)))
    page = AppTest.from_file(APP, default_timeout=60).run().switch_page("pages/uplift.py").run()
    assert not page.exception and any("targeted, not randomised" in i.value for i in page.info)
    # no truth and no logged propensities: no simulated regret and no off-policy estimate, and
    # the build log and the Bandit view say why; the bandit still chooses today's offers
    assert "no logged propensities: nothing is simulated or estimated there" in result.stdout
    assert query(warehouse, "select count(*) as n from marts.bandit_simulation").n[0] == 0
    assert query(warehouse, "select count(*) as n from marts.off_policy_evaluation").n[0] == 0
    scored = query(warehouse, "select count(distinct customer_id) as n from ml.ranker_scores").n[0]
    assert query(warehouse, "select count(*) as n from marts.offer_selections").n[0] == scored > 0
    page = AppTest.from_file(APP, default_timeout=60).run().switch_page("pages/bandit.py").run()
    assert not page.exception and any("no logged propensities" in i.value for i in page.info)
    reasons = set(query(warehouse, "select distinct rejection_reason from marts.rejected_rows").rejection_reason)
    assert reasons <= {"non_positive_quantity", "no_backing_order_line", "unknown_customer"}

    out = tmp_path / "benchmark.json"
    bench_warehouse = tmp_path / "bench.duckdb"
    printed = run_cli(
        "benchmark",
        "completejourney",
        "--households",
        str(HOUSEHOLDS),
        "--bootstrap-samples",
        "50",
        "--data-dir",
        str(tmp_path / "bench"),
        "--output",
        str(out),
        warehouse=bench_warehouse,
    ).stdout
    assert "Coupon ranking" in printed and "Next basket" in printed
    results = pd.DataFrame(json.loads(out.read_text())["results"])
    coupon = results[results.task == "coupon ranking"]
    assert set(coupon.method) == {"random", *RANKERS}
    # exactly one ranker is the one the build's procedure selected, a baseline or a learned one
    assert coupon[coupon.selected.astype(bool)].method.nunique() == 1
    assert set(results[results.task == "next basket"].method) == {"popularity", "p_topfreq", "gp_topfreq"}
    assert ((results.ci_low <= results.value + 1e-9) & (results.value <= results.ci_high + 1e-9)).all()
    gains = results[results.metric == "ndcg_gain_over_p_topfreq"].set_index("method").value
    assert results[results.metric != "ndcg_gain_over_p_topfreq"].value.between(0, 1).all()
    # the paired gain over P-TopFreq is the difference of the two methods' mean NDCG (same lists)
    ndcg = coupon[coupon.metric == "ndcg"].set_index("method").value
    for method, gain in gains.items():
        assert gain == pytest.approx(ndcg[method] - ndcg["p_topfreq"])
