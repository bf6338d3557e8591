"""Recommendation explorer: one customer's top 10, with why each offer is there."""

import plotly.express as px
import streamlit as st

from metro_offers.dashboard import data
from metro_offers.ranking.features import feature_matrix

st.title("Recommendation explorer")
segments = data.selected_segments()
first = data.query(
    "select min(customer_id) as customer_id from customer_features where list_contains(?, segment)", segments
).customer_id.iloc[0]
if first is None:
    st.warning("No customers in the selected segments.")
    st.stop()
customer_id = st.number_input("Customer id", min_value=1, value=int(first), step=1, key="explorer_customer")
recs = data.query(
    """
    select recs.*, offers.offer_name, offers.category_name, customers.segment as customer_segment
    from recommendations as recs
    inner join offers on recs.offer_id = offers.offer_id
    inner join customer_features as customers on recs.customer_id = customers.customer_id
    where recs.customer_id = ?
    order by recs.recommendation_rank
    """,
    customer_id,
)
if recs.empty:
    known = not data.query("select 1 from customer_features where customer_id = ?", customer_id).empty
    st.info(
        f"Customer {customer_id} has no recommendations: no offer is valid on the run date."
        if known
        else f"Customer {customer_id} is not known on the run date."
    )
    st.stop()
st.caption(f"Segment **{recs.customer_segment.iloc[0]}**; model `{recs.model_version.iloc[0]}`.")
recs["strategies"] = recs.proposed_by.map(lambda s: ", ".join(x.replace("_", " ") for x in s))
left, right = st.columns([3, 2])
left.dataframe(
    recs[["recommendation_rank", "offer_name", "category_name", "score", "strategies", "recommendation_source"]],
    width="stretch",
    hide_index=True,
    column_config={
        "score": st.column_config.ProgressColumn(format="%.3f", min_value=0.0, max_value=float(recs.score.max() or 1))
    },
)
right.plotly_chart(
    px.bar(
        recs, x="score", y="offer_name", orientation="h", title="Calibrated P(redeem in the next window)"
    ).update_yaxes(categoryorder="total ascending"),
    width="stretch",
)

if recs.score.notna().all():
    chosen, model = data.live_model()
    parts = model.explain(feature_matrix(recs, model.features)).drop(columns="bias")
    parts.index = recs.offer_name
    st.subheader(f"Why: each feature's contribution to the live ranker's score ({chosen.replace('_', ' ')})")
    st.caption(model.explanation)
    st.plotly_chart(
        px.imshow(
            parts.T,
            color_continuous_scale="RdBu",
            color_continuous_midpoint=0,
            aspect="auto",
            labels={"x": "offer", "y": "feature", "color": "contribution"},
        ),
        width="stretch",
    )
    pick = st.selectbox("Offer", recs.offer_name.tolist())
    one = parts.loc[pick].sort_values()
    st.plotly_chart(
        px.bar(
            x=one.to_numpy(),
            y=one.index,
            orientation="h",
            title=f"{pick}: contributions",
            labels={"x": "contribution", "y": ""},
        ),
        width="stretch",
    )
else:
    st.info("This customer has redeemed every valid offer: the list is the segment's most popular offers, unscored.")
