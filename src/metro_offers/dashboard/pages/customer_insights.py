"""Customer insights: who the customers are, how they buy, and one customer up close."""

import datetime as dt

import numpy as np
import pandas as pd
import plotly.express as px
import streamlit as st

from metro_offers.dashboard import data

segments = data.selected_segments()
st.title("Customer insights")
customers = data.query("select * from customer_features where list_contains(?, segment)", segments)
if customers.empty:
    st.warning("No customers in the selected segments.")
    st.stop()

active = (customers.recency_days <= 90).sum()
kpis = st.columns(4)
kpis[0].metric("Customers", f"{len(customers):,}")
kpis[1].metric("Ordered in the last 90 days", f"{active / len(customers):.0%}")
kpis[2].metric("Median orders in the look-back year", f"{customers.frequency.median():.0f}")
kpis[3].metric("Median spend in the look-back year", f"EUR {customers.monetary.median():,.0f}")

left, right = st.columns(2)
mix = customers.groupby("segment").size().rename("customers").reset_index()
left.plotly_chart(
    px.pie(mix, names="segment", values="customers", title="Segment mix", hole=0.4),
    width="stretch",
)
rfm = right.selectbox("Distribution of", ["recency_days", "frequency", "monetary", "avg_basket_value"], index=1)
# binned here: 60 bars per segment instead of every customer's value in the browser
values = customers[[rfm, "segment"]].dropna()
edges = np.histogram_bin_edges(values[rfm].clip(upper=values[rfm].quantile(0.99)), bins=60)
binned = pd.concat(
    pd.DataFrame(
        {
            rfm: (edges[:-1] + edges[1:]) / 2,
            "customers": np.histogram(group[rfm].clip(upper=edges[-1]), bins=edges)[0],
            "segment": segment,
        }
    )
    for segment, group in values.groupby("segment")
)
right.plotly_chart(
    px.bar(
        binned,
        x=rfm,
        y="customers",
        color="segment",
        barmode="overlay",
        opacity=0.6,
        title=f"{rfm} by segment (top 1% folded into the last bar)",
    ),
    width="stretch",
)

st.subheader("Seasonality of sales")
sales = data.query(
    "select order_date, segment, revenue, orders from daily_sales where list_contains(?, segment)", segments
)
first, last = sales.order_date.min().date(), sales.order_date.max().date()
start, end = st.slider("Dates", min_value=first, max_value=last, value=(first, last), format="YYYY-MM-DD")
window = sales[(sales.order_date.dt.date >= start) & (sales.order_date.dt.date <= end)]
figure = px.line(window, x="order_date", y="revenue", color="segment", title="Revenue per day and segment (EUR)")
holidays = data.query("select * from holiday_calendar")
for holiday in holidays.itertuples():
    if holiday.end_date.date() >= start and holiday.start_date.date() <= end:
        figure.add_vrect(
            x0=holiday.start_date,
            x1=holiday.end_date + dt.timedelta(days=1),
            fillcolor="orange",
            opacity=0.15,
            line_width=0,
            annotation_text=f"{holiday.holiday_name} x{holiday.demand_multiplier:g}",
            annotation_position="top left",
        )
st.plotly_chart(figure, width="stretch")

st.subheader("One customer")
customer_id = st.number_input(
    "Customer id", min_value=1, value=int(customers.customer_id.iloc[0]), step=1, key="insights_customer"
)
row = customers[customers.customer_id == customer_id]
if row.empty:
    st.info(f"Customer {customer_id} is not in the selected segments (or not known on the run date).")
else:
    history = data.query(
        "select * from customer_monthly_activity where customer_id = ? order by activity_month", customer_id
    )
    left, right = st.columns([1, 2])
    values = row.drop(columns=["as_of_date"]).iloc[0]
    features = values.map(lambda v: f"{v:,.3f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v))
    features = features.rename("value").to_frame()
    left.dataframe(features, width="stretch")
    right.plotly_chart(
        px.bar(
            history,
            x="activity_month",
            y="revenue",
            hover_data=["orders", "redemptions"],
            title=f"Customer {customer_id}: revenue per month (EUR)",
        ),
        width="stretch",
    )
