"""Uplift: whom the discount changes. Qini curves of each learner, random targeting and the
oracle on the randomised impressions after the cutoff, the harness's metrics with intervals,
what each policy's top-k lists would earn, and per offer the shares of persuadables, sure
things, lost causes and do-not-disturbs among its serving candidates."""

import pandas as pd
import plotly.express as px
import streamlit as st

from metro_offers.dashboard import data
from metro_offers.uplift.learners import LEARNERS
from metro_offers.uplift.store import serving_name

LABELS = {name: cls.label for name, cls in LEARNERS.items()} | {
    "random": "Random targeting",
    "oracle": "Oracle (true uplift)",
    "p_redeem": "Rank by P(redeem)",
    "uplift": "Rank by uplift",
    "incremental_margin": "Rank by expected incremental margin",
}
TYPES = {
    "persuadables": "Persuadable",
    "sure_things": "Sure thing",
    "lost_causes": "Lost cause",
    "do_not_disturbs": "Do-not-disturb",
}


def interval(row) -> str:
    if pd.isna(row.ci_low):
        return f"{row.value:.4f}"
    return f"{row.value:.4f} [{row.ci_low:.4f}, {row.ci_high:.4f}]"


st.title("Uplift")
data.stop_unless_published("uplift_evaluation", "the uplift models")
registry = data.query("select * from uplift_model_registry")
if registry.empty:
    st.info(
        "No uplift estimates: the impressions have no randomised control group, so shown-versus-held-out "
        "outcomes would say nothing causal. On The Complete Journey this is expected - its campaigns were "
        "targeted, not randomised - and no uplift number is shown rather than an observational one."
    )
    st.stop()

first = registry.iloc[0]
st.caption(
    f"S-, T- and X-learners (LightGBM) trained on {first.training_rows:,} impressions "
    f"({first.training_shown_rows:,} shown, the rest a randomised control group) from "
    f"{pd.Timestamp(first.training_window_start):%Y-%m-%d} to {pd.Timestamp(first.training_window_end):%Y-%m-%d}; "
    f"judged on the randomised impressions from the cutoff {pd.Timestamp(first.cutoff):%Y-%m-%d} on. "
    "The outcome: the customer bought the offer's products within the label window."
)
evaluation = data.query("select * from uplift_evaluation")
targeting = evaluation[evaluation.evaluation == "targeting"]
qini = targeting[targeting.metric == "qini"].set_index("method")
learners = [m for m in LEARNERS if m in qini.index]
kpis = st.columns(len(learners) + 1)
for column, method in zip(kpis, learners, strict=False):
    row = qini.loc[method]
    share = targeting[(targeting.method == method) & (targeting.metric == "qini_share_of_oracle")]
    column.metric(
        f"{LABELS[method]} Qini",
        f"{row.value:.4f}",
        help=f"95% interval [{row.ci_low:.4f}, {row.ci_high:.4f}]: area above random targeting's line, in "
        "incremental buyers per impression.",
    )
    # a share, not a change: a caption rather than st.metric's delta arrow
    interval_text = f"[{row.ci_low:.4f}, {row.ci_high:.4f}]"
    oracle_text = f", {share.value.iloc[0]:.0%} of the oracle's" if not share.empty else ""
    column.caption(f"95% interval {interval_text}{oracle_text}")
if "oracle" in qini.index:
    kpis[-1].metric("Oracle Qini", f"{qini.loc['oracle'].value:.4f}", help="Ranking by the true uplift.")

curves = data.query("select * from uplift_qini_curves")
curves["method"] = curves.method.map(lambda m: LABELS.get(m, m))
st.plotly_chart(
    px.line(
        curves,
        x="population_share",
        y="qini",
        color="method",
        labels={"population_share": "share of impressions targeted", "qini": "incremental buyers per impression"},
        title="Qini curves (randomised impressions after the cutoff)",
        height=450,
    ),
    width="stretch",
)

table = targeting.assign(
    method=targeting.method.map(lambda m: LABELS.get(m, m)), estimate=targeting.apply(interval, axis=1)
)
st.subheader("Targeting metrics")
st.dataframe(table.pivot(index="method", columns="metric", values="estimate"), width="stretch")

lists = evaluation[evaluation.evaluation == "top_k_lists"]
st.subheader("What each policy's lists would earn")
if lists.empty:
    st.info("No truth for the evaluation pool (real data): the policies' lists are not scored.")
else:
    st.caption(
        "Every evaluated customer's top offers by each policy, scored with the true probabilities (synthetic "
        "data): redemptions, incremental redemptions and incremental margin (EUR per unit) per customer, "
        "and the gains over ranking by P(redeem) on the same customers."
    )
    shown = lists.assign(policy=lists.method.map(lambda m: LABELS.get(m, m)), estimate=lists.apply(interval, axis=1))
    st.dataframe(shown.pivot(index="policy", columns="metric", values="estimate"), width="stretch")

st.subheader("Customer types per offer")
types = data.query("select * from offer_customer_types")
if types.empty:
    st.info("No serving candidates with an uplift estimate.")
    st.stop()
st.caption(
    f"Mean probabilities over each offer's serving candidates, from the serving "
    f"{LABELS[serving_name(registry)]}'s "
    "outcome models (persuadable = buys only if shown, sure thing = buys either way, lost cause = buys "
    "neither way, do-not-disturb = buys only if not shown). The offers with the most persuadables first."
)
top = types.sort_values("persuadables", ascending=False).head(st.slider("Offers", 5, 60, 25, key="uplift_offers"))
# lost causes (most candidates of every offer) would flatten the rest: they are in the table
charted = [t for t in TYPES if t != "lost_causes"]
top = top.assign(offer=top.offer_name + " (offer " + top.offer_id.astype(str) + ")")  # names repeat
long = top.melt(id_vars=["offer"], value_vars=charted, var_name="type", value_name="share")
long["type"] = long["type"].map(TYPES)
st.plotly_chart(
    px.bar(long, x="share", y="offer", color="type", orientation="h", height=max(400, 22 * len(top)))
    .update_layout(yaxis={"categoryorder": "array", "categoryarray": top.offer.iloc[::-1].tolist(), "title": None})
    .update_xaxes(title="share of the offer's candidates (lost causes, the rest, in the table)"),
    width="stretch",
)
st.dataframe(
    top[
        [
            "offer_id",
            "offer_name",
            "candidates",
            *TYPES,
            "mean_expected_incremental_margin",
            "share_with_positive_margin",
        ]
    ],
    width="stretch",
    hide_index=True,
)
