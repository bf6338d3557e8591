"""Training the live ranker: select (champion and challengers), refit the chosen ranker on
every labelled pool up to run_date, save its artifact and drift reference, register it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from metro_offers.drift import reference_distribution
from metro_offers.pools import EVALUATION_POOL, is_training_pool
from metro_offers.ranking import registry
from metro_offers.ranking.features import feature_matrix
from metro_offers.ranking.selection import fit_ranker, select_ranker


def train_live_ranker(
    examples: pd.DataFrame,
    reference_candidates: pd.DataFrame,
    run_date: dt.date,
    store: Path,
    reason: str,
    raw_root: Path | None = None,
    reference_bins: int = 10,
    echo=print,
) -> registry.RegistryEntry:
    """``examples``: pool_examples (training and evaluation pools). ``reference_candidates``:
    a sample of today's serving candidates, the new model's drift reference."""
    selection = select_ranker(examples, echo=echo)
    chosen = selection.chosen
    best_baseline = selection.best_baseline
    if not selection.validation.set_index("method").loc[chosen, "learned"]:
        echo(
            f"[ranker] WARNING: no learned ranker beats the baseline {chosen} on the validation pool "
            f"(NDCG@10 {best_baseline.ndcg_at_10:.4f}): serving {chosen}"
        )
    labelled = examples[is_training_pool(examples["pool"]) | (examples["pool"] == EVALUATION_POOL)]
    model = fit_ranker(chosen, labelled, selection.parameters[chosen], selection.features)
    files = registry.landing_files(raw_root) if raw_root is not None else {}
    version = registry.model_version(run_date, store, chosen, len(labelled), registry.data_fingerprint(files))
    folder = Path(store) / version
    folder.mkdir(parents=True, exist_ok=True)
    artifact = model.save(folder)
    reference = reference_distribution(feature_matrix(reference_candidates, selection.features), reference_bins)
    (folder / "reference.json").write_text(json.dumps(reference))
    validation = selection.validation.set_index("method")
    entry = registry.RegistryEntry(
        model_version=version,
        trained_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        run_date=str(run_date),
        training_pools=sorted(labelled["pool"].unique()),
        training_window_start=str(pd.Timestamp(labelled["as_of_date"].min()).date()),
        training_window_end=str(pd.Timestamp(labelled["label_window_end"].max()).date()),
        training_rows=len(labelled),
        training_positives=int(labelled["redeemed_in_window"].sum()),
        validation_rows=selection.validation_rows,
        features=list(model.features),
        feature_schema=list(selection.features),
        rankers=list(selection.rankers),
        parameters={name: selection.parameters[name] for name in selection.parameters},
        training_history=selection.histories,
        validation=selection.validation.to_dict(orient="records"),
        chosen_model=chosen,
        chosen_is_learned=bool(validation.loc[chosen, "learned"]),
        best_baseline=str(best_baseline["method"]),
        validation_ndcg_chosen=float(validation.loc[chosen, "ndcg_at_10"]),
        validation_ndcg_best_baseline=float(best_baseline["ndcg_at_10"]),
        calibration=selection.calibration,
        artifact_path=str(artifact),
        retrain_reason=reason,
        data_fingerprint=registry.data_fingerprint(files),
        landing_files=files,
        landing_row_counts=registry.landing_row_counts(raw_root) if raw_root is not None else {},
    )
    registry.append_entry(store, entry)
    echo(f"[ranker] registered {version} ({chosen}) trained on {len(labelled):,} pool rows")
    return entry
