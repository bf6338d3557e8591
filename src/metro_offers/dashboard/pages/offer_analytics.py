"""Offer analytics: which offers get redeemed, by whom, at what depth, and what they add."""

import plotly.express as px
import streamlit as st

from metro_offers.dashboard import data

segments = data.selected_segments()
st.title("Offer analytics")
performance = data.query(
    """
    select offers.offer_id, offers.offer_name, offers.offer_level, offers.category_name, offers.discount_pct,
        offers.start_date, performance.segment, performance.shown, performance.redeemed_within_label_window,
        performance.redeemed, performance.control, performance.shown_buyers, performance.control_buyers
    from offer_performance as performance
    inner join offers on performance.offer_id = offers.offer_id
    where list_contains(?, performance.segment)
    """,
    segments,
)
if performance.empty:
    st.warning("No impressions in the selected segments.")
    st.stop()
first, last = performance.start_date.min().date(), performance.start_date.max().date()
start, end = st.slider(
    "Offers starting between", min_value=first, max_value=last, value=(first, last), format="YYYY-MM-DD"
)
performance = performance[(performance.start_date.dt.date >= start) & (performance.start_date.dt.date <= end)]

per_offer = performance.groupby(
    ["offer_id", "offer_name", "offer_level", "category_name", "discount_pct"], as_index=False
)[["shown", "redeemed_within_label_window", "redeemed", "control", "shown_buyers", "control_buyers"]].sum()
per_offer["redemption_rate"] = per_offer.redeemed / per_offer.shown.where(per_offer.shown > 0)
kpis = st.columns(3)
kpis[0].metric("Offers", f"{len(per_offer):,}")
kpis[1].metric("Customers shown", f"{per_offer.shown.sum():,}")
kpis[2].metric("Redemption rate", f"{per_offer.redeemed.sum() / max(per_offer.shown.sum(), 1):.2%}")

top = per_offer.nlargest(25, "redemption_rate")
st.plotly_chart(
    px.bar(
        top,
        x="redemption_rate",
        y="offer_name",
        orientation="h",
        color="discount_pct",
        hover_data=["shown", "redeemed"],
        title="Redemption rate: the 25 best offers",
    ).update_yaxes(categoryorder="total ascending"),
    width="stretch",
)

left, right = st.columns(2)
by_depth = performance.groupby(["segment", "discount_pct"], as_index=False)[["shown", "redeemed"]].sum()
by_depth["redemption_rate"] = by_depth.redeemed / by_depth.shown.where(by_depth.shown > 0)
left.plotly_chart(
    px.density_heatmap(
        by_depth,
        x="discount_pct",
        y="segment",
        z="redemption_rate",
        histfunc="avg",
        text_auto=".1%",
        title="Redemption rate by segment and discount depth",
    ),
    width="stretch",
)
products = per_offer[(per_offer.offer_level == "product") & (per_offer.control > 0)].copy()
products["shown_purchase_rate"] = products.shown_buyers / products.shown
products["control_purchase_rate"] = products.control_buyers / products.control
products["observed_uplift"] = products.shown_purchase_rate - products.control_purchase_rate
right.plotly_chart(
    px.scatter(
        products,
        x="control_purchase_rate",
        y="shown_purchase_rate",
        size="shown",
        hover_data=["offer_name", "observed_uplift"],
        title="Control vs shown: purchase rate of the offered product",
    ).add_shape(
        type="line",
        x0=0,
        y0=0,
        x1=products.control_purchase_rate.max() or 1,
        y1=products.control_purchase_rate.max() or 1,
        line={"dash": "dot"},
    ),
    width="stretch",
)
st.caption(
    "Product-level offers with a randomised control group: above the dotted line the offer sold more of its "
    "product than the held-out customers bought anyway (observed uplift). Category offers have no comparable outcome."
)
st.dataframe(
    per_offer.sort_values("redemption_rate", ascending=False),
    width="stretch",
    hide_index=True,
    column_config={"redemption_rate": st.column_config.NumberColumn(format="percent")},
)
