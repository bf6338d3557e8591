"""Diversity: how much of the catalogue the lists use, how varied each list is, and how
much they lean on the popular offers."""

import plotly.express as px
import streamlit as st

from metro_offers.dashboard import data

st.title("Diversity")
segments = data.selected_segments()
per_offer = data.query(
    """
    with lists as (
        select recs.* from recommendations as recs
        inner join customer_features as customers on recs.customer_id = customers.customer_id
        where list_contains(?, customers.segment)
    )
    select offers.offer_id, offers.offer_name, offers.category_name, offers.redemptions as past_redemptions,
        offers.impressions_shown as past_impressions, count(lists.offer_id) as times_recommended
    from offers left join lists on offers.offer_id = lists.offer_id
    where offers.valid_on_run_date
    group by all
    """,
    segments,
)
per_list = data.query(
    """
    with lists as (
        select recs.customer_id, offers.category_id from recommendations as recs
        inner join offers on recs.offer_id = offers.offer_id
        inner join customer_features as customers on recs.customer_id = customers.customer_id
        where list_contains(?, customers.segment)
    ),
    per_category as (select customer_id, category_id, count(*) as n from lists group by all)
    select customer_id, sum(n) as size, 1 - sum(n * (n - 1) / 2) / (sum(n) * (sum(n) - 1) / 2) as diversity
    from per_category group by customer_id having sum(n) > 1
    """,
    segments,
)
if per_offer.empty or per_list.empty:
    st.warning("No recommendations in the selected segments.")
    st.stop()
slots = per_offer.times_recommended.sum()
top_decile = per_offer.nlargest(max(1, len(per_offer) // 10), "times_recommended").times_recommended.sum()
kpis = st.columns(4)
kpis[0].metric(
    "Catalogue coverage",
    f"{(per_offer.times_recommended > 0).mean():.0%}",
    help="Share of the offers valid on the run date that are in at least one list.",
)
kpis[1].metric(
    "Intra-list diversity",
    f"{per_list.diversity.mean():.2f}",
    help="Mean share of pairs in a list from different categories (1 = all different).",
)
kpis[2].metric("Slots taken by the top 10% of offers", f"{top_decile / slots:.0%}")
kpis[3].metric("Lists", f"{len(per_list):,}")

left, right = st.columns(2)
left.plotly_chart(
    px.scatter(
        per_offer,
        x="past_redemptions",
        y="times_recommended",
        hover_data=["offer_name", "category_name"],
        title="Popularity bias: past redemptions vs times recommended",
    ),
    width="stretch",
)
categories = per_offer.groupby("category_name", as_index=False).agg(
    valid_offers=("offer_id", "count"), recommended_slots=("times_recommended", "sum")
)
categories["share_of_valid_offers"] = categories.valid_offers / categories.valid_offers.sum()
categories["share_of_slots"] = categories.recommended_slots / categories.recommended_slots.sum()
right.plotly_chart(
    px.bar(
        categories.melt(id_vars="category_name", value_vars=["share_of_valid_offers", "share_of_slots"]),
        x="value",
        y="category_name",
        color="variable",
        barmode="group",
        orientation="h",
        title="Categories: catalogue vs recommendations",
    ),
    width="stretch",
)
st.plotly_chart(
    px.histogram(per_list, x="diversity", nbins=20, title="Intra-list category diversity per customer"),
    width="stretch",
)
evaluation = data.query(
    "select method, metric, metric_value from offline_evaluation "
    "where metric in ('catalogue_coverage', 'intra_list_diversity')"
)
if not evaluation.empty:
    evaluation["method"] = evaluation.method.map(lambda m: data.METHOD_LABELS.get(m, m))
    st.caption("The same measures in the offline evaluation, per method (evaluation pool, top 10):")
    st.dataframe(evaluation.pivot(index="method", columns="metric", values="metric_value").round(3), width="stretch")
