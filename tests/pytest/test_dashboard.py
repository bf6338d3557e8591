"""The dashboard on the small built snapshot: every page with Streamlit's AppTest, the
filters, the message without a snapshot, and (where Chromium is installed) a real browser
visiting every page and the docs site's lineage of recommendations."""

from __future__ import annotations

import os
import shutil
import sys

import duckdb
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from metro_offers.reference import project_root
from metro_offers.snapshot import default_snapshot_path

from conftest import query, run_dbt

pytestmark = pytest.mark.slow

APP = str(project_root() / "src" / "metro_offers" / "dashboard" / "app.py")
PAGES = {
    "pages/customer_insights.py": "Customer insights",
    "pages/offer_analytics.py": "Offer analytics",
    "pages/model_performance.py": "Model performance",
    "pages/feature_drift.py": "Feature drift",
    "pages/recommendation_explorer.py": "Recommendation explorer",
    "pages/diversity.py": "Diversity",
    "pages/embeddings.py": "Embeddings",
    "pages/uplift.py": "Uplift",
    "pages/bandit.py": "Bandit",
    "pages/scorecard.py": "Phase 2 scorecard",
}
sys.path.insert(0, str(project_root() / "tests" / "browser"))


@pytest.fixture
def app(built, monkeypatch):
    _, warehouse, _, _ = built
    monkeypatch.setenv("METRO_SNAPSHOT", str(default_snapshot_path(warehouse)))
    return AppTest.from_file(APP, default_timeout=60).run()


def test_every_page_renders_without_an_exception(app):
    for page, title in PAGES.items():
        app.switch_page(page).run()
        assert not app.exception, f"{title}: {[e.value for e in app.exception]}"
        assert [t.value for t in app.title] == [title]


def test_the_segment_filter_narrows_the_customers(app, built):
    _, warehouse, _, _ = built
    horeca = query(warehouse, "select count(*) as n from marts.customer_features where segment = 'horeca'").n[0]
    app.sidebar.multiselect[0].set_value(["horeca"]).run()
    customers = next(m for m in app.metric if m.label == "Customers")
    assert customers.value == f"{horeca:,}"


def test_the_explorer_shows_a_customers_list_and_explains_it(app, built):
    _, warehouse, _, _ = built
    recs = query(warehouse, "select * from marts.recommendations order by customer_id desc, recommendation_rank")
    customer = int(recs.customer_id.iloc[0])
    app.switch_page("pages/recommendation_explorer.py").run()
    app.number_input(key="explorer_customer").set_value(customer).run()
    assert not app.exception
    shown = app.dataframe[0].value
    assert shown.offer_name.tolist()[:3] and len(shown) == (recs.customer_id == customer).sum()
    assert any("contribution" in s.value for s in app.subheader)
    app.number_input(key="explorer_customer").set_value(999_999_999).run()
    assert any("not known" in i.value for i in app.info)


def test_the_embeddings_view_maps_products_and_finds_neighbours(app, built):
    _, warehouse, _, _ = built
    products = query(warehouse, "select * from marts.product_embeddings order by product_id")
    app.switch_page("pages/embeddings.py").run()
    assert not app.exception
    assert next(m for m in app.metric if m.label == "Products with a vector").value == f"{len(products):,}"
    app.selectbox(key="embeddings_product").set_value(3).run()
    shown = app.dataframe[0].value
    # the neighbours by hand: cosine of the chosen product's vector with every other
    vectors = np.stack(products.vector.to_numpy())
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = unit @ unit[3]
    similarity[3] = -np.inf
    assert shown.product_id.tolist() == products.product_id.to_numpy()[np.argsort(-similarity)[:10]].tolist()
    assert shown.similarity.is_monotonic_decreasing


def test_the_uplift_view_shows_this_builds_qini_and_customer_types(app, built):
    _, warehouse, _, _ = built
    qini = query(warehouse, "select * from marts.uplift_evaluation where evaluation = 'targeting' and metric = 'qini'")
    app.switch_page("pages/uplift.py").run()
    assert not app.exception
    x_learner = qini.set_index("method").loc["x_learner"]
    assert next(m for m in app.metric if m.label == "X-learner Qini").value == f"{x_learner.value:.4f}"
    types = app.dataframe[-1].value
    shares = types[["persuadables", "sure_things", "lost_causes", "do_not_disturbs"]].sum(axis=1)
    assert len(types) > 0 and np.allclose(shares, 1.0)
    assert types.persuadables.is_monotonic_decreasing


def test_the_bandit_view_shows_todays_choices_and_the_simulation(app, built):
    _, warehouse, _, _ = built
    selections = query(warehouse, "select * from marts.offer_selections")
    comparison = query(warehouse, "select * from marts.bandit_policy_comparison")
    app.switch_page("pages/bandit.py").run()
    assert not app.exception
    assert next(m for m in app.metric if m.label == "Customers with a chosen offer").value == f"{len(selections):,}"
    shown = next(d.value for d in app.dataframe if "seeds_beating_greedy" in d.value.columns)
    assert len(shown) == len(comparison)
    np.testing.assert_allclose(sorted(shown.mean_regret), sorted(comparison.mean_regret.round(1)))


def test_the_drift_view_reads_the_thresholds_of_the_build_it_shows(drift_builds, monkeypatch, tmp_path):
    """The drift fixture's last build retrained on 3+ alerts: the view says so with the
    threshold the snapshot carries (drift_settings), not dbt_project.yml's - here a copy of
    the snapshot says 4 and a warn line of 0.2."""
    warehouse, _, _ = drift_builds
    snapshot = tmp_path / "snapshot.duckdb"
    shutil.copy(default_snapshot_path(warehouse), snapshot)
    with duckdb.connect(str(snapshot)) as con:
        con.execute("update drift_settings set retrain_min_alert_features = 4, psi_warn = 0.2")
    monkeypatch.setenv("METRO_SNAPSHOT", str(snapshot))
    app = AppTest.from_file(APP, default_timeout=60).run()
    app.switch_page("pages/feature_drift.py").run()
    assert not app.exception
    assert any("(threshold 4): retraining recommended" in e.value for e in app.error)
    # a snapshot published before it carried its settings says so instead of guessing
    with duckdb.connect(str(snapshot)) as con:
        con.execute("drop table drift_settings")
    app = AppTest.from_file(APP, default_timeout=60).run()
    app.switch_page("pages/feature_drift.py").run()
    assert not app.exception and any("predates the drift settings" in w.value for w in app.warning)


def test_pages_of_newer_models_say_when_the_snapshot_predates_them(built, monkeypatch, tmp_path):
    """A snapshot published before the embeddings, uplift and bandit marts existed: their
    pages say to rebuild instead of failing on the missing table."""
    _, warehouse, _, _ = built
    snapshot = tmp_path / "snapshot.duckdb"
    shutil.copy(default_snapshot_path(warehouse), snapshot)
    pages = {"embeddings": "product_embeddings", "uplift": "uplift_evaluation", "bandit": "offer_selections"}
    with duckdb.connect(str(snapshot)) as con:
        for table in pages.values():
            con.execute(f"drop table {table}")
    monkeypatch.setenv("METRO_SNAPSHOT", str(snapshot))
    app = AppTest.from_file(APP, default_timeout=60).run()
    for page in pages:
        app.switch_page(f"pages/{page}.py").run()
        assert not app.exception, page
        assert [i.value for i in app.info][-1].startswith("This snapshot predates"), page
        assert "metro-offers build" in app.info[-1].value


def test_without_a_snapshot_the_page_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("METRO_SNAPSHOT", str(tmp_path / "none.duckdb"))
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception
    assert "metro-offers build" in app.error[0].value


# skipped on a machine without the browser, never in CI (CI is set there): a missing browser fails
@pytest.mark.skipif(
    not os.environ.get("CI") and not __import__("check_in_browser").browser_available(),
    reason="needs chromium and chromium-driver",
)
def test_in_headless_chromium_every_page_draws_and_the_docs_show_the_lineage(built, tmp_path):
    from check_in_browser import dashboard_screenshots, docs_screenshot

    data, warehouse, _, _ = built
    timings = dashboard_screenshots(default_snapshot_path(warehouse), tmp_path)
    assert set(timings) == set(PAGES.values()) | {"Customer insights (again)"}
    assert len(list(tmp_path.glob("dashboard_*.png"))) == len(PAGES)
    target = tmp_path / "target"
    variables = {"raw_root": str(data / "raw")}
    run_dbt("docs", "generate", "--static", warehouse=warehouse, variables=variables, target=target)
    parents = docs_screenshot(target / "static_index.html", tmp_path)
    assert {"model.metro_offers.ranker_scores", "model.metro_offers.candidate_pool"} <= set(parents)
    assert (tmp_path / "docs_lineage_recommendations.png").stat().st_size > 20_000


def test_the_scorecard_shows_this_builds_next_basket_evaluation(app, built):
    _, warehouse, _, _ = built
    recall = query(warehouse, "select * from marts.next_basket_evaluation where metric = 'recall' and subset = 'all'")
    assert {"p_topfreq", "sasrec", "sasrec_frequency_mix"} <= set(recall.method)
    app.switch_page("pages/scorecard.py").run()
    assert not app.exception
    [table] = [d.value for d in app.dataframe if "Recall@10 explore" in d.value.columns]
    expected = recall.set_index("method").metric_value.round(4)
    assert table.loc["SASRec", "Recall@10 all"] == expected["sasrec"]
    assert table.loc["P-TopFreq", "Recall@10 all"] == expected["p_topfreq"]
