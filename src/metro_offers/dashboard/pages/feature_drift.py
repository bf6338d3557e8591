"""Feature drift: PSI of every ranker feature per run date, against the live model's
reference, with the warn and alert lines and the retrain decision."""

import plotly.express as px
import streamlit as st

from metro_offers.dashboard import data

st.title("Feature drift")
limits = data.thresholds()
if limits is None:
    st.warning(
        "This snapshot predates the drift settings it was built with (drift_settings): rebuild "
        "(`metro-offers build`) to see the warn and alert lines and the retrain threshold."
    )
drift = data.query("select * from drift_log order by run_date, feature")
registry = data.query("select model_version, trained_at, retrain_reason from model_registry order by trained_at")
if drift.empty:
    st.info(
        "No drift measured yet: the first build trains the model whose training-day features are the reference; "
        "drift is measured from the next run date on."
    )
else:
    latest = drift[drift.run_date == drift.run_date.max()]
    alerts = latest[latest.severity == "alert"]
    threshold = f"threshold {limits['retrain_min_alert_features']}" if limits else "threshold unknown"
    if latest.retrain_recommended.any():
        st.error(
            f"{latest.run_date.iloc[0].date()}: {len(alerts)} features at alert ({threshold}): retraining "
            "recommended - the build retrained (see the reason below)."
        )
    else:
        st.success(f"{latest.run_date.iloc[0].date()}: {len(alerts)} features at alert ({threshold}): no retraining.")
    drift["run date"] = drift.run_date.dt.strftime("%Y-%m-%d")
    top = max(drift.psi.max() * 1.1, limits["psi_alert"] * 1.5 if limits else 0)
    figure = px.line(
        drift,
        x="run date",
        y="psi",
        color="feature",
        markers=True,
        range_y=[0, top],
        title="PSI per feature and run date",
    )
    figure.update_xaxes(type="category")
    if drift.run_date.nunique() == 1:
        st.caption("One run date so far: the lines grow as daily builds (`metro-offers daily`) measure drift.")
    if limits:
        figure.add_hline(
            y=limits["psi_warn"], line_dash="dot", line_color="orange", annotation_text=f"warn {limits['psi_warn']:g}"
        )
        figure.add_hline(
            y=limits["psi_alert"], line_dash="dash", line_color="red", annotation_text=f"alert {limits['psi_alert']:g}"
        )
    st.plotly_chart(figure, width="stretch")
    st.plotly_chart(
        px.bar(
            latest.sort_values("psi"),
            x="psi",
            y="feature",
            color="severity",
            orientation="h",
            color_discrete_map={"none": "seagreen", "warn": "orange", "alert": "crimson"},
            title=f"Latest run date ({latest.run_date.iloc[0].date()})",
        ),
        width="stretch",
    )
st.subheader("Retrain decisions")
st.dataframe(registry, width="stretch", hide_index=True)
