"""The Phase 2 scorecard: this build's Phase 1 rankers beside Wide & Deep, SASRec against
the frequency baselines on the next-basket task, then the benchmark that compares Phase 1
with each Phase 2 addition across data sets (bench/scorecard.py, read from
bench/results/scorecard.json)."""

import json

import duckdb
import pandas as pd
import plotly.express as px
import streamlit as st

from metro_offers.dashboard import data
from metro_offers.metrics import PAIRED_GAIN
from metro_offers.next_basket.methods import LABELS as NEXT_BASKET_LABELS
from metro_offers.reference import project_root

PHASE = {"logistic_regression": "Phase 1", "lightgbm": "Phase 1", "wide_deep": "Phase 2"}
SCORECARD = project_root() / "bench" / "results" / "scorecard.json"


def interval_bars(frame: pd.DataFrame, y: str, **options):
    """Horizontal bars of metric_value, smallest first, with its 95% interval (ci_low, ci_high)."""
    frame = frame.sort_values("metric_value")
    return px.bar(
        frame,
        x="metric_value",
        y=y,
        orientation="h",
        error_x=frame.ci_high - frame.metric_value,
        error_x_minus=frame.metric_value - frame.ci_low,
        **options,
    )


st.title("Phase 2 scorecard")
st.caption(
    "The mission's target is +5–10% NDCG@10 over Phase 1 (logistic regression / LightGBM over the four heuristic "
    "candidate strategies). Losses are shown as plainly as wins."
)

st.subheader("This build: the learned rankers on its evaluation pool")
evaluation = data.query(
    "select method, metric, metric_value, ci_low, ci_high from offline_evaluation "
    "where subset = 'all' and metric in ('ndcg', 'recall', 'mrr', ?)",
    PAIRED_GAIN,
)
served = data.query("select chosen_model from model_registry where is_live")
learned = evaluation[evaluation.method.isin(list(PHASE))].copy()
if learned.empty:
    st.info("This snapshot's offline evaluation has no learned ranker.")
else:
    learned["ranker"] = learned.method.map(lambda m: f"{data.METHOD_LABELS.get(m, m)} ({PHASE[m]})")
    st.plotly_chart(
        interval_bars(
            learned[learned.metric == "ndcg"],
            "ranker",
            title="NDCG@10 on this build's evaluation pool (95% bootstrap intervals over customers)",
            labels={"metric_value": "NDCG@10", "ranker": ""},
        ),
        width="stretch",
    )
    columns = {"ndcg": "NDCG@10", "recall": "Recall@10", "mrr": "MRR", PAIRED_GAIN: "NDCG@10 − P-TopFreq (paired)"}
    table = learned.pivot_table(index="ranker", columns="metric", values="metric_value").round(4)
    table = table[[c for c in columns if c in table.columns]].rename(columns=columns)
    st.dataframe(table, width="stretch")
    if not served.empty:
        chosen = served.chosen_model.iloc[0]
        st.caption(f"Served by this build (best on its validation pool): {data.METHOD_LABELS.get(chosen, chosen)}.")

st.subheader("This build: next-basket recommendation")
try:
    next_basket = data.query(
        "select cutoff, method, subset, metric, metric_value, ci_low, ci_high, customers from next_basket_evaluation"
    )
except duckdb.CatalogException:
    next_basket = None
if next_basket is None or next_basket.empty:
    st.info("This snapshot has no next-basket evaluation (published before it existed, or too little data).")
else:
    next_basket["method"] = next_basket.method.map(lambda m: NEXT_BASKET_LABELS.get(m, m))
    overall = next_basket[(next_basket.subset == "all") & (next_basket.metric.isin(["recall", "ndcg"]))]
    st.plotly_chart(
        interval_bars(
            overall,
            "method",
            facet_col="metric",
            title=(
                f"The first basket on or after {pd.Timestamp(next_basket.cutoff.iloc[0]):%Y-%m-%d} of "
                f"{overall.customers.max():,} customers, "
                "full ranking over the catalogue (95% bootstrap intervals)"
            ),
            labels={"metric_value": "", "method": ""},
        ).for_each_annotation(
            lambda a: a.update(text={"recall": "Recall@10", "ndcg": "NDCG@10"}[a.text.split("=")[-1]])
        ),
        width="stretch",
    )
    recall = next_basket[next_basket.metric == "recall"].pivot_table(
        index="method", columns="subset", values="metric_value"
    )
    st.dataframe(
        recall.round(4).rename(columns=lambda c: f"Recall@10 {c}")[
            ["Recall@10 all", "Recall@10 repeat", "Recall@10 explore"]
        ],
        width="stretch",
    )
    st.caption(
        "Repeat: products the customer bought before the cutoff; explore: new ones. The 'new products only' lists "
        "rank only products the customer never bought. `python bench/next_basket.py` measures the same on "
        "The Complete Journey (README)."
    )

st.subheader("Across data sets: Phase 1 against each Phase 2 addition")
if not SCORECARD.exists():
    st.info(f"No scorecard measured yet: `python bench/scorecard.py` writes {SCORECARD.name}.")
    st.stop()
report = json.loads(SCORECARD.read_text())
rows = [
    {
        "data": result["name"],
        "line": line,
        "served": data.METHOD_LABELS.get(row["served"], row["served"]),
        "NDCG@10": row["ndcg"]["value"],
        "gain": row["ndcg_vs_phase_1"]["value"],
        "low": row["ndcg_vs_phase_1"]["ci_low"],
        "high": row["ndcg_vs_phase_1"]["ci_high"],
        "relative": row["ndcg_vs_phase_1"]["relative"],
    }
    for result in report["results"]
    for line, row in result["lines"].items()
    if line != "Phase 1"
]
gains = pd.DataFrame(rows)
st.plotly_chart(
    px.scatter(
        gains,
        x="gain",
        y="data",
        color="line",
        facet_col="line",
        error_x=gains.high - gains.gain,
        error_x_minus=gains.gain - gains.low,
        title="NDCG@10 minus Phase 1's, paired per customer (95% intervals)",
        labels={"gain": "NDCG@10 − Phase 1", "data": "", "line": ""},
    )
    .add_vline(x=0, line_dash="dot")
    .for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
    .update_layout(showlegend=False),
    width="stretch",
)
st.dataframe(
    gains.assign(relative=gains.relative.map(lambda r: f"{r:+.1%}" if r is not None else "")),
    width="stretch",
    hide_index=True,
)
st.caption(f"Measured {report['measured_at']} with `python bench/scorecard.py` (the README shows the same table).")
