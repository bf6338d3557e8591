"""metro-offers dashboard: ten views of the published snapshot (`metro-offers dashboard`)."""

from pathlib import Path

import streamlit as st

from metro_offers.dashboard import data

st.set_page_config(page_title="metro-offers", page_icon=":shopping_trolley:", layout="wide")

PAGES = Path(__file__).parent / "pages"

if not data.snapshot_exists():
    st.title("metro-offers")
    st.error(
        f"No serving snapshot at `{data.snapshot_path()}` yet. Build the warehouse first: "
        "`metro-offers build` (or `make run`) publishes it; this page then shows it."
    )
    st.stop()

info = data.info()
with st.sidebar:
    st.header("metro-offers")
    st.caption(
        f"Snapshot of run date **{info['run_date']}**, model `{info['model_version']}`, "
        f"published {info['published_at']}."
    )
    st.multiselect(
        "Segments",
        options=list(data.SEGMENTS),
        default=list(data.SEGMENTS),
        key="segments",
        help="Filters the customer, offer, recommendation and diversity views.",
    )

navigation = st.navigation(
    [
        st.Page(PAGES / "customer_insights.py", title="Customer insights", default=True),
        st.Page(PAGES / "offer_analytics.py", title="Offer analytics"),
        st.Page(PAGES / "model_performance.py", title="Model performance"),
        st.Page(PAGES / "feature_drift.py", title="Feature drift"),
        st.Page(PAGES / "recommendation_explorer.py", title="Recommendation explorer"),
        st.Page(PAGES / "diversity.py", title="Diversity"),
        st.Page(PAGES / "embeddings.py", title="Embeddings"),
        st.Page(PAGES / "uplift.py", title="Uplift"),
        st.Page(PAGES / "bandit.py", title="Bandit"),
        st.Page(PAGES / "scorecard.py", title="Phase 2 scorecard"),
    ],
    position="top",
)
navigation.run()
