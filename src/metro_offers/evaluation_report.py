"""The offline evaluation table (marts.offline_evaluation) as text or Markdown tables."""

from __future__ import annotations

import pandas as pd

from metro_offers.metrics import PAIRED_GAIN
from metro_offers.reference import load_evaluation_methods

# every built-in method of the offline evaluation, in report order (seeds/evaluation_methods.csv)
METHOD_LABELS = dict(load_evaluation_methods()[["method", "label"]].itertuples(index=False))
# (subset, metric, column title, with interval)
MAIN_COLUMNS = (
    ("all", "ndcg", "NDCG@k", True),
    ("all", PAIRED_GAIN, "NDCG@k − P-TopFreq (paired)", True),
    ("all", "precision", "P@k", False),
    ("all", "recall", "R@k", False),
    ("all", "mrr", "MRR", False),
    ("all", "map", "MAP@k", False),
    ("all", "hit_rate", "HR@k", False),
    ("all", "expected_redemptions_share_of_oracle", "E[redemptions] / oracle", True),
    ("pool_rows", "auc", "AUC", False),
    ("active_customers_pool_rows", "auc", "AUC active 90d", False),
    ("all", "catalogue_coverage", "Coverage", False),
    ("all", "intra_list_diversity", "Diversity", False),
)
SPLIT_COLUMNS = (
    ("repeat", "ndcg", "NDCG@k repeat", True),
    ("explore", "ndcg", "NDCG@k explore", True),
    ("repeat", "recall", "R@k repeat", False),
    ("explore", "recall", "R@k explore", False),
)


def _cell(row: pd.Series | None, interval: bool) -> str:
    if row is None or pd.isna(row.metric_value):
        return "-"
    text = f"{row.metric_value:.3f}"
    if interval and pd.notna(row.ci_low):
        text += f" [{row.ci_low:.3f}, {row.ci_high:.3f}]"
    return text


def _table(frame: pd.DataFrame, columns, k: int, markdown: bool) -> str:
    indexed = {(r.method, r.subset, r.metric): r for r in frame.itertuples(index=False)}
    present = list(dict.fromkeys(frame.method))
    methods = [m for m in METHOD_LABELS if m in present] + [m for m in present if m not in METHOD_LABELS]
    header = ["Method"] + [title.replace("@k", f"@{k}") for _, _, title, _ in columns]
    body = [
        [METHOD_LABELS.get(m, m)] + [_cell(indexed.get((m, subset, metric)), ci) for subset, metric, _, ci in columns]
        for m in methods
    ]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in body])
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *body])


def render_report(frame: pd.DataFrame, markdown: bool = False, k: int = 10) -> str:
    """Two tables: every metric over all relevant offers, then NDCG and recall split into
    repeat and explore offers; intervals are bootstrap 95% over customers."""
    if frame.empty:
        return "offline_evaluation is empty"
    first = frame.iloc[0]
    customers = int(frame.loc[(frame.subset == "all") & (frame.metric == "ndcg"), "customers"].max())
    title = (
        f"Offline evaluation of model {first.model_version}: run date {pd.Timestamp(first.run_date).date()}, "
        f"cutoff {pd.Timestamp(first.evaluation_cutoff).date()}, {customers:,} customers who redeemed in the "
        f"window, k = {k}; "
        "[95% bootstrap interval over customers]"
    )
    return "\n\n".join(
        [
            title,
            _table(frame, MAIN_COLUMNS, k, markdown),
            "Relevant offers split by whether the customer bought any of the offer's products before the cutoff:",
            _table(frame, SPLIT_COLUMNS, k, markdown),
        ]
    )
