"""Model performance: the offline evaluation beside every baseline and the oracle, the
curves, what the model looks at, and every model trained so far."""

import json

import pandas as pd
import plotly.express as px
import streamlit as st

from metro_offers.dashboard import data
from metro_offers.evaluation import AUC_SUBSETS
from metro_offers.ranking.rankers import ranker_class

st.title("Model performance")
evaluation = data.query("select * from offline_evaluation")
if evaluation.empty:
    st.info("No offline evaluation in this snapshot.")
    st.stop()
first = evaluation.iloc[0]
st.caption(
    f"Model `{first.model_version}` evaluated with its training procedure: rankers trained on labels closed by "
    f"{first.evaluation_cutoff.date()}, every method ranking the same customers' full pool as of that cutoff; "
    "relevant = offers redeemed before the run date. Bars: mean over customers; whiskers: 95% bootstrap interval."
)
evaluation["method_label"] = evaluation.method.map(lambda m: data.METHOD_LABELS.get(m, m))
order = [label for label in data.METHOD_LABELS.values() if label in set(evaluation.method_label)]
order += sorted(set(evaluation.method_label) - set(order))  # external rankers after the built-in ones


def bar(metric: str, subset: str, title: str):
    rows = evaluation[(evaluation.metric == metric) & (evaluation.subset == subset)].copy()
    rows["plus"] = rows.ci_high - rows.metric_value
    rows["minus"] = rows.metric_value - rows.ci_low
    return px.bar(
        rows,
        x="method_label",
        y="metric_value",
        error_y="plus",
        error_y_minus="minus",
        title=title,
        category_orders={"method_label": order},
        labels={"method_label": "", "metric_value": metric},
    )


left, right = st.columns(2)
subset = left.radio("Relevant offers", ["all", "repeat", "explore"], horizontal=True)
left.plotly_chart(bar("ndcg", subset, f"NDCG@10 ({subset} offers)"), width="stretch")
right.plotly_chart(
    bar("expected_redemptions_share_of_oracle", "all", "Expected redemptions of the top 10, share of the oracle's"),
    width="stretch",
)
table = evaluation[evaluation.subset.isin(["all", *AUC_SUBSETS])].pivot_table(
    index="method_label", columns=["subset", "metric"], values="metric_value"
)
st.dataframe(table.reindex(order).round(3), width="stretch")

curves = data.query("select * from evaluation_curves")
if not curves.empty:
    curves["method_label"] = curves.method.map(lambda m: data.METHOD_LABELS.get(m, m))
    left, right = st.columns(2)

    def curve_chart(curve: str, title: str, x_label: str, y_label: str):
        return px.line(
            curves[curves.curve == curve],
            x="x",
            y="y",
            color="method_label",
            title=title,
            labels={"x": x_label, "y": y_label, "method_label": ""},
        )

    roc_title = "ROC over the evaluation pool (redeemed in the window or not)"
    left.plotly_chart(curve_chart("roc", roc_title, "false positive rate", "true positive rate"), width="stretch")
    pr_title = "Precision-recall over the same pool"
    right.plotly_chart(curve_chart("precision_recall", pr_title, "recall", "precision"), width="stretch")

importance = data.query("select * from feature_importance order by importance_share")
if not importance.empty:
    kind = ranker_class(importance.chosen_model.iloc[0]).importance_kind
    st.plotly_chart(
        px.bar(
            importance,
            x="importance_share",
            y="feature",
            orientation="h",
            title=f"What the live model ({importance.chosen_model.iloc[0]}) uses: share of {kind}",
        ),
        width="stretch",
    )

st.subheader("Every model trained, and the choice behind it")
registry = data.query(
    "select model_version, trained_at, trained_for_run_date, training_window_start, training_window_end, "
    "training_rows, chosen_model, chosen_is_learned, validation_ndcg_chosen, best_baseline, "
    "validation_ndcg_best_baseline, retrain_reason, is_live from model_registry order by trained_at desc"
)
st.dataframe(registry, width="stretch", hide_index=True)
live = data.query("select validation_comparison, training_history, model_parameters from model_registry where is_live")
if not live.empty:
    comparison = pd.DataFrame(json.loads(live.validation_comparison.iloc[0]))
    comparison["method"] = comparison.method.map(lambda m: data.METHOD_LABELS.get(m, m))
    st.caption("The live model's selection: every ranker on the validation pool (the window before the cutoff)")
    st.dataframe(comparison.round(4), width="stretch", hide_index=True)
    histories = json.loads(live.training_history.iloc[0] or "{}")
    parameters = json.loads(live.model_parameters.iloc[0] or "{}")
    for method, history in histories.items():
        curve = pd.DataFrame(history)
        chosen_epoch = parameters.get(method, {}).get("epochs")
        st.caption(
            f"{data.METHOD_LABELS.get(method, method)}: training curves of the live model's selection (fitted on "
            f"the older training pools, early-stopped on the validation pool at epoch {chosen_epoch} of {len(curve)})"
        )
        left, right = st.columns(2)
        losses = curve.melt("epoch", ["train_loss", "valid_loss"], var_name="loss", value_name="value")
        losses["loss"] = losses.loss.map({"train_loss": "training pools", "valid_loss": "validation pool"})
        left.plotly_chart(
            px.line(losses, x="epoch", y="value", color="loss", markers=True, title="Logistic loss per epoch")
            .add_vline(x=chosen_epoch, line_dash="dot")
            .update_layout(legend_title_text=""),
            width="stretch",
        )
        right.plotly_chart(
            px.line(curve, x="epoch", y="valid_ndcg_at_10", markers=True, title="Validation NDCG@10 per epoch")
            .add_vline(x=chosen_epoch, line_dash="dot")
            .update_yaxes(title="NDCG@10"),
            width="stretch",
        )
