"""Bandit: offer selection that learns. Today's Thompson-sampling choice per customer with
its logged propensity, the arms' posteriors, the closed-loop simulation of every policy against
the oracle, and how well off-policy estimators recover a policy's true value."""

import pandas as pd
import plotly.express as px
import streamlit as st

from metro_offers.bandit.policies import POLICY_LABELS
from metro_offers.bandit.simulation import ORACLE
from metro_offers.dashboard import data

LABELS = POLICY_LABELS | {ORACLE: "Oracle (the truth's best offer)"}
# one colour per policy in every chart, whichever policies a chart leaves out
COLOURS = dict(zip(LABELS.values(), px.colors.qualitative.Dark2, strict=False))
ESTIMATORS = {"replay": "Replay", "ips": "IPS", "snips": "SNIPS", "doubly_robust": "Doubly robust"}

st.title("Bandit")
data.stop_unless_published("offer_selections", "the bandit")

selections = data.query("select * from offer_selections")
st.subheader("Today's choice")
if selections.empty:
    st.info("No serving candidates in this snapshot: nothing to choose from.")
else:
    policy = selections.policy.iloc[0]
    left, middle, right = st.columns(3)
    left.metric("Customers with a chosen offer", f"{len(selections):,}")
    middle.metric("Mean propensity of the choice", f"{selections.propensity.mean():.2f}")
    right.metric("Offers chosen at least once", f"{selections.offer_id.nunique():,}")
    st.caption(
        f"Policy: {LABELS.get(policy, policy)} (var bandit_serving_policy), run date "
        f"{pd.Timestamp(selections.run_date.iloc[0]):%Y-%m-%d}. The propensity is the share of posterior draws in "
        "which the chosen offer won; it is logged so this choice can be evaluated off-policy later. "
        "Services fetch a customer's choice and its propensity from the API: "
        "`GET /offer-selections/{customer_id}`."
    )
    offers = data.query("select offer_id, offer_name from offers")
    chosen = (
        selections.groupby("offer_id")
        .agg(customers=("customer_id", "size"), mean_propensity=("propensity", "mean"))
        .reset_index()
        .merge(offers, on="offer_id", how="left")
        .sort_values("customers", ascending=False)
    )
    st.dataframe(chosen.head(15), hide_index=True, width="stretch")

posteriors = data.query("select * from offer_posteriors")
with st.expander("The arms' posteriors (offer x segment)"):
    st.caption("Beta posterior on P(redeem | shown): the prior vars plus every shown impression and redemption.")
    st.dataframe(posteriors.sort_values("posterior_mean", ascending=False), hide_index=True, width="stretch")

st.subheader("Closed-loop simulation")
days = data.query("select * from bandit_simulation")
if days.empty:
    st.info(
        "No simulation: it needs the generator's true probabilities. On real data such as The Complete Journey "
        "there is no truth, and its campaigns were targeted, not randomised, with no logged propensities - so "
        "neither a simulated regret nor an off-policy estimate would mean anything, and none is shown."
    )
    st.stop()
seeds, horizon = days.seed.nunique(), days.day.max() + 1
st.caption(
    f"{horizon} days from the run date, {seeds} seeds. Each day the customers who visit (at the rate they visited "
    "before) are shown one of their live serving candidates by each policy; the outcome is drawn from the truth, "
    "the same draws for every policy; a control group is held out. Regret: expected redemptions lost against the "
    "oracle, which shows every visitor its truly best offer."
)
days["policy_label"] = days.policy.map(lambda name: LABELS.get(name, name))
mean_by_day = days.groupby(["policy_label", "day"], as_index=False)[
    ["cumulative_regret", "cumulative_redemptions", "cumulative_true_incremental"]
].mean()
left, right = st.columns(2)


def mean_by_day_chart(frame: pd.DataFrame, column: str, axis_label: str, title: str):
    return px.line(
        frame,
        x="day",
        y=column,
        color="policy_label",
        color_discrete_map=COLOURS,
        labels={column: axis_label, "day": "Day", "policy_label": ""},
        title=f"{title}, mean of {seeds} seeds",
    )


without_oracle = mean_by_day[mean_by_day.policy_label != LABELS[ORACLE]]
regret_label = "Cumulative regret (expected redemptions)"
left.plotly_chart(
    mean_by_day_chart(without_oracle, "cumulative_regret", regret_label, "Cumulative regret"), width="stretch"
)
right.plotly_chart(
    mean_by_day_chart(mean_by_day, "cumulative_redemptions", "Cumulative redemptions", "Cumulative redemptions"),
    width="stretch",
)
comparison = data.query("select * from bandit_policy_comparison")
comparison.insert(0, "policy_label", comparison.policy.map(lambda name: LABELS.get(name, name)))
st.dataframe(
    comparison.drop(columns=["policy"]).round(1),
    hide_index=True,
    width="stretch",
    column_config={
        "policy_label": "Policy",
        "seeds": "Seeds",
        "mean_shown": "Shown (per seed)",
        "mean_redemptions": "Redemptions (mean)",
        "min_redemptions": "lowest seed",
        "max_redemptions": "highest seed",
        "mean_true_incremental": "True incremental",
        "mean_measured_incremental": "Incremental, control-measured",
        "mean_regret": "Regret (mean)",
        "min_regret": "lowest seed",
        "max_regret": "highest seed",
        "seeds_beating_greedy": st.column_config.NumberColumn("Seeds with less regret than greedy"),
        "seeds_beating_epsilon_greedy": st.column_config.NumberColumn("Seeds with less regret than epsilon-greedy"),
    },
)

st.subheader("Off-policy evaluation")
study = data.query("select * from off_policy_evaluation")
if study.empty:
    st.info("No off-policy study in this snapshot.")
else:
    first = study.iloc[0]
    st.caption(
        f"{first.replicates} logs of {first.log_rows:,} decisions each, logged uniformly (the exploration slice, "
        "which gives every offer a propensity above zero); each target policy's value estimated from each log and "
        "compared with its true value. Replay judges deterministic targets only. The doubly robust reward model is "
        "the ranker's P(redeem), scaled to the log, cross-fitted."
    )
    study["target_policy"] = study.target_policy.map(lambda name: LABELS.get(name, name))
    study["estimator"] = study.estimator.map(lambda name: ESTIMATORS.get(name, name))
    st.dataframe(
        study[
            [
                "target_policy",
                "estimator",
                "true_value",
                "mean_estimate",
                "relative_bias",
                "share_within_10pct",
                "interval_coverage",
            ]
        ],
        hide_index=True,
        width="stretch",
        column_config={
            "target_policy": "Target policy",
            "estimator": "Estimator",
            "true_value": st.column_config.NumberColumn("True value", format="%.4f"),
            "mean_estimate": st.column_config.NumberColumn("Mean estimate", format="%.4f"),
            "relative_bias": st.column_config.NumberColumn("Relative bias", format="percent"),
            "share_within_10pct": st.column_config.NumberColumn("Logs within 10% of the truth", format="percent"),
            "interval_coverage": st.column_config.NumberColumn("95% interval coverage", format="percent"),
        },
    )
