"""Rankers of P(redemption within the label window | shown): logistic regression and LightGBM.

Both are trained on the same rows of ``training_examples`` (its downsampled training sample),
validated on the latest weeks of the training window (a time split, never random), and the
one with the better validation AUC is chosen and registered. Artifacts are native formats:
LightGBM's text model and the logistic regression as JSON (imputation, scaling, weights),
scored here with numpy; nothing is pickled.

The registry is a JSON-lines file in the model store; each line is one trained model with
its training window, features, parameters, both validation AUCs and the choice. A build
reuses the latest registered model unless none exists or a retrain is asked for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from metro_offers.reference import SEGMENTS

SEGMENT_LEVELS = SEGMENTS  # the order of the segment codes the models see
NUMERIC_FEATURES = (
    "recency_days",
    "frequency",
    "monetary",
    "avg_basket_value",
    "promo_affinity",
    "category_entropy",
    "tenure_days",
    "discount_pct",
    "margin_impact",
    "days_until_expiry",
    "historical_redemption_rate",
    "bought_before",
    "category_affinity_score",
    "price_sensitivity_match",
    "days_since_last_category_purchase",
)
CATEGORICAL_FEATURES = ("segment", "category_id")
FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES
# what training and scoring read from the warehouse (nothing more: the frames are large)
EXAMPLE_COLUMNS = (
    "impression_id",
    "customer_id",
    "offer_id",
    "impression_date",
    "feature_as_of_date",
    "label",
    "in_training_sample",
    "split",
    *FEATURES,
)
CANDIDATE_COLUMNS = ("customer_id", "offer_id", *FEATURES)
VALIDATION_SHARE = 0.2  # the latest 20% of the training window's weeks
LGBM_PARAMS = {
    "objective": "binary",
    "metric": "auc",  # early stopping on ranking quality (logloss would punish the sampled base rate)
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.9,
    "lambda_l2": 1.0,
    "verbosity": -1,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 2,
    "seed": 7,
}
LGBM_MAX_ROUNDS = 400
LGBM_EARLY_STOPPING = 30
LR_C = 1.0


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (ties count half), or NaN with a single class."""
    labels = np.asarray(labels, dtype=bool)
    n_pos, n_neg = labels.sum(), (~labels).sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = pd.Series(np.asarray(scores, dtype=float)).rank(method="average").to_numpy()
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def feature_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """The model inputs: numeric features as floats (nulls as NaN, booleans as 0/1), the
    segment as its code in SEGMENT_LEVELS and the category id as an integer code."""
    missing = [c for c in FEATURES if c not in frame.columns]
    if missing:
        raise KeyError(f"feature columns missing from the frame: {missing}")
    out = pd.DataFrame(index=frame.index)
    for column in NUMERIC_FEATURES:
        out[column] = pd.to_numeric(frame[column].astype("float64"), errors="raise")
    out["segment"] = pd.Categorical(frame["segment"], categories=SEGMENT_LEVELS).codes.astype("float64")
    out.loc[out["segment"] < 0, "segment"] = np.nan
    out["category_id"] = frame["category_id"].astype("float64")
    return out


# ---------------------------------------------------------------- logistic regression
@dataclass
class LogisticModel:
    """Logistic regression stored as plain numbers: median imputation, one-hot categoricals,
    standard scaling, weights. predict() needs numpy only."""

    medians: dict[str, float]
    category_levels: dict[str, list[float]]
    columns: list[str]
    means: list[float]
    scales: list[float]
    coefficients: list[float]
    intercept: float

    def design(self, x: pd.DataFrame) -> np.ndarray:
        parts = [x[c].fillna(self.medians[c]).to_numpy(dtype=float) for c in NUMERIC_FEATURES]
        parts += [x[c].isna().to_numpy(dtype=float) for c in NUMERIC_FEATURES if f"{c}__missing" in self.columns]
        for column, levels in self.category_levels.items():
            parts += [(x[column].to_numpy() == level).astype(float) for level in levels]
        return np.column_stack(parts)

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        z = (self.design(x) - np.asarray(self.means)) / np.asarray(self.scales)
        return 1.0 / (1.0 + np.exp(-(z @ np.asarray(self.coefficients) + self.intercept)))

    @classmethod
    def fit(cls, x: pd.DataFrame, y: np.ndarray) -> LogisticModel:
        from sklearn.linear_model import LogisticRegression

        medians = {c: float(x[c].median()) if x[c].notna().any() else 0.0 for c in NUMERIC_FEATURES}
        columns = list(NUMERIC_FEATURES)
        columns += [f"{c}__missing" for c in NUMERIC_FEATURES if x[c].isna().any()]
        levels = {c: sorted(float(v) for v in x[c].dropna().unique()) for c in CATEGORICAL_FEATURES}
        columns += [f"{c}={v:g}" for c, values in levels.items() for v in values]
        model = cls(medians, levels, columns, [], [], [], 0.0)
        design = model.design(x)
        means, scales = design.mean(axis=0), design.std(axis=0)
        scales[scales == 0] = 1.0
        fitted = LogisticRegression(C=LR_C, max_iter=2000).fit((design - means) / scales, y)
        model.means, model.scales = means.tolist(), scales.tolist()
        model.coefficients, model.intercept = fitted.coef_[0].tolist(), float(fitted.intercept_[0])
        return model

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, path: Path) -> LogisticModel:
        return cls.from_text(path.read_text())

    @classmethod
    def from_text(cls, text: str) -> LogisticModel:
        return cls(**json.loads(text))

    def contributions(self, x: pd.DataFrame) -> pd.DataFrame:
        """Each feature's additive part of the log-odds (standardised value x weight, summed
        over a feature's one-hot and missing-flag columns), plus the intercept as 'bias'."""
        parts = (self.design(x) - np.asarray(self.means)) / np.asarray(self.scales) * np.asarray(self.coefficients)
        owner = [_design_column_feature(c) for c in self.columns]
        frame = pd.DataFrame(parts, columns=owner, index=x.index).T.groupby(level=0).sum().T
        frame["bias"] = self.intercept
        return frame[[*FEATURES, "bias"]]

    def importance(self) -> pd.Series:
        """The largest absolute standardised weight among each feature's columns (its value,
        missing flag or one-hot levels)."""
        owner = [_design_column_feature(c) for c in self.columns]
        return pd.Series(np.abs(self.coefficients), index=owner).groupby(level=0).max().reindex(list(FEATURES))


def _design_column_feature(column: str) -> str:
    """The feature a design column of the logistic regression belongs to."""
    return column.split("=")[0].removesuffix("__missing")


# ---------------------------------------------------------------- LightGBM
class LightGBMModel:
    def __init__(self, booster) -> None:
        self.booster = booster

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        return self.booster.predict(x[list(FEATURES)], num_threads=LGBM_PARAMS["num_threads"])

    @classmethod
    def fit(cls, x, y, x_valid=None, y_valid=None, rounds: int | None = None) -> LightGBMModel:
        import lightgbm as lgb

        train = lgb.Dataset(x[list(FEATURES)], y, categorical_feature=list(CATEGORICAL_FEATURES), free_raw_data=False)
        if rounds is not None:
            return cls(lgb.train(LGBM_PARAMS, train, num_boost_round=rounds))
        valid = lgb.Dataset(x_valid[list(FEATURES)], y_valid, reference=train)
        booster = lgb.train(
            LGBM_PARAMS,
            train,
            num_boost_round=LGBM_MAX_ROUNDS,
            valid_sets=[valid],
            callbacks=[lgb.early_stopping(LGBM_EARLY_STOPPING, verbose=False)],
        )
        return cls(booster)

    @property
    def rounds(self) -> int:
        return self.booster.best_iteration or self.booster.current_iteration()

    def save(self, path: Path) -> None:
        self.booster.save_model(str(path))

    @classmethod
    def load(cls, path: Path) -> LightGBMModel:
        return cls.from_text(path.read_text())

    @classmethod
    def from_text(cls, text: str) -> LightGBMModel:
        import lightgbm as lgb

        return cls(lgb.Booster(model_str=text))

    def contributions(self, x: pd.DataFrame) -> pd.DataFrame:
        """Each feature's SHAP contribution to the log-odds (LightGBM's pred_contrib), plus
        the expected value as 'bias'."""
        values = self.booster.predict(x[list(FEATURES)], pred_contrib=True, num_threads=LGBM_PARAMS["num_threads"])
        return pd.DataFrame(values, columns=[*FEATURES, "bias"], index=x.index)

    def importance(self) -> pd.Series:
        """Total gain of the splits on each feature."""
        gains = self.booster.feature_importance(importance_type="gain")
        return pd.Series(gains, index=self.booster.feature_name()).reindex(list(FEATURES))


ARTIFACTS = {"logistic_regression": ("model.json", LogisticModel), "lightgbm": ("model.txt", LightGBMModel)}


# ---------------------------------------------------------------- training and registry
@dataclass
class RegistryEntry:
    model_version: str
    trained_at: str
    run_date: str
    training_window_start: str
    training_window_end: str
    training_rows: int
    training_positives: int
    validation_rows: int
    features: list[str]
    parameters: dict
    validation_auc_logistic_regression: float
    validation_auc_lightgbm: float
    chosen_model: str
    artifact_path: str
    retrain_reason: str
    negative_keep_rate: float  # share of negatives in the training sample, to undo the sampling


def time_split(examples: pd.DataFrame, share: float = VALIDATION_SHARE) -> tuple[pd.Series, pd.Series]:
    """(fit rows, validation rows): validation is the latest ``share`` of the weeks."""
    weeks = np.sort(examples["feature_as_of_date"].unique())
    if len(weeks) < 2:
        raise ValueError("need impressions from at least two weeks to validate by time")
    n_valid = max(1, int(round(len(weeks) * share)))
    first_valid = weeks[-n_valid]
    is_valid = examples["feature_as_of_date"] >= first_valid
    return ~is_valid, is_valid


@dataclass
class FittedRankers:
    """Both rankers fitted on one training sample: validated by time, then refitted on the
    whole sample (LightGBM with its validated number of rounds)."""

    models: dict  # name -> refitted LogisticModel / LightGBMModel
    validation_auc: dict[str, float]
    chosen: str
    lightgbm_rounds: int
    training_rows: int
    training_positives: int
    validation_rows: int


def fit_rankers(examples: pd.DataFrame, refit: str = "chosen", echo=print) -> FittedRankers:
    """Train logistic regression and LightGBM on ``examples``' training sample, validate both
    on the latest weeks (every row, unsampled), choose the better AUC and refit the chosen
    model (``refit="chosen"``) or both (``refit="both"``) on the whole sample."""
    if examples.empty or examples["label"].sum() == 0:
        raise ValueError("no positive training examples: cannot train a ranker")
    # the warehouse returns rows in no fixed order; a fixed order makes training reproducible
    examples = examples.sort_values("impression_id", kind="stable").reset_index(drop=True)
    in_sample = examples["in_training_sample"].to_numpy(dtype=bool)
    fit_rows, valid_rows = time_split(examples)
    x_all, y_all = feature_matrix(examples), examples["label"].to_numpy(dtype=int)
    fit_mask = fit_rows.to_numpy() & in_sample
    valid_mask = valid_rows.to_numpy()  # every validation row: AUC is measured without sampling
    x_fit, y_fit = x_all[fit_mask], y_all[fit_mask]
    x_valid, y_valid = x_all[valid_mask], y_all[valid_mask]

    logistic = LogisticModel.fit(x_fit, y_fit)
    boosted = LightGBMModel.fit(x_fit, y_fit, x_valid, y_valid)
    aucs = {
        "logistic_regression": auc(y_valid, logistic.predict(x_valid)),
        "lightgbm": auc(y_valid, boosted.predict(x_valid)),
    }
    echo(
        f"[ranker] validation AUC: logistic regression {aucs['logistic_regression']:.4f}, "
        f"LightGBM {aucs['lightgbm']:.4f}"
    )
    chosen = max(aucs, key=lambda k: -1 if np.isnan(aucs[k]) else aucs[k])
    x_sample, y_sample = x_all[in_sample], y_all[in_sample]
    refitters = {
        "logistic_regression": lambda: LogisticModel.fit(x_sample, y_sample),
        "lightgbm": lambda: LightGBMModel.fit(x_sample, y_sample, rounds=boosted.rounds),
    }
    names = [chosen] if refit == "chosen" else list(refitters)
    return FittedRankers(
        models={name: refitters[name]() for name in names},
        validation_auc=aucs,
        chosen=chosen,
        lightgbm_rounds=boosted.rounds,
        training_rows=len(y_sample),
        training_positives=int(y_sample.sum()),
        validation_rows=int(valid_mask.sum()),
    )


def train(
    examples: pd.DataFrame,
    candidates: pd.DataFrame,
    run_date: dt.date,
    store: Path,
    reason: str,
    reference_bins: int = 10,
    echo=print,
) -> RegistryEntry:
    """Fit both rankers (fit_rankers), register the better one refitted on the whole sample,
    with the distribution of the features it is about to score (today's candidates) as its
    drift reference."""
    from metro_offers.drift import reference_distribution

    fitted = fit_rankers(examples, echo=echo)
    chosen = fitted.chosen
    final = fitted.models[chosen]
    window = (str(examples["impression_date"].min())[:10], str(examples["impression_date"].max())[:10])
    registered = len(read_registry(store))  # a retrain on the same day gets a new version
    fingerprint = hashlib.sha256(
        f"{run_date}|{window}|{fitted.training_rows}|{chosen}|{registered}".encode()
    ).hexdigest()[:8]
    version = f"{run_date:%Y%m%d}-{fingerprint}"
    folder = store / version
    folder.mkdir(parents=True, exist_ok=True)
    artifact = folder / ARTIFACTS[chosen][0]
    final.save(artifact)
    reference = reference_distribution(feature_matrix(candidates), reference_bins)
    (folder / "reference.json").write_text(json.dumps(reference))
    entry = RegistryEntry(
        model_version=version,
        trained_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        run_date=str(run_date),
        training_window_start=window[0],
        training_window_end=window[1],
        training_rows=fitted.training_rows,
        training_positives=fitted.training_positives,
        validation_rows=fitted.validation_rows,
        features=list(FEATURES),
        parameters={
            "lightgbm": {**LGBM_PARAMS, "rounds": fitted.lightgbm_rounds},
            "logistic_regression": {"C": LR_C},
        },
        validation_auc_logistic_regression=fitted.validation_auc["logistic_regression"],
        validation_auc_lightgbm=fitted.validation_auc["lightgbm"],
        chosen_model=chosen,
        artifact_path=str(artifact),
        retrain_reason=reason,
        negative_keep_rate=negative_keep_rate(examples),
    )
    with (store / "registry.jsonl").open("a") as registry:
        registry.write(json.dumps(asdict(entry)) + "\n")
    echo(f"[ranker] registered {version} ({chosen}) trained on {fitted.training_rows:,} rows")
    return entry


def negative_keep_rate(examples: pd.DataFrame) -> float:
    negatives = ~examples["label"]
    return float(examples.loc[negatives, "in_training_sample"].mean()) if negatives.any() else 1.0


def undo_negative_sampling(p: np.ndarray, keep_rate: float) -> np.ndarray:
    """A model fitted with only ``keep_rate`` of the negatives overstates P(positive); the
    prior correction p*r / (p*r + 1 - p) gives the probability on the full population."""
    return p * keep_rate / (p * keep_rate + 1.0 - p)


def read_registry(store: Path) -> list[dict]:
    path = store / "registry.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def model_from_text(chosen_model: str, text: str):
    """A registered model from its artifact's text (the serving snapshot carries it)."""
    return ARTIFACTS[chosen_model][1].from_text(text)


def feature_importance(store: Path) -> pd.DataFrame:
    """The live model's importance per feature (LightGBM: total gain; logistic regression: the
    largest absolute standardised weight of its columns) and its share of the total."""
    entries = read_registry(store)
    columns = ["model_version", "chosen_model", "feature", "importance", "importance_share"]
    if not entries:
        return pd.DataFrame(columns=columns)
    entry = entries[-1]
    importance = load_model(entry).importance().fillna(0.0)
    total = importance.sum()
    return pd.DataFrame(
        {
            "model_version": entry["model_version"],
            "chosen_model": entry["chosen_model"],
            "feature": importance.index,
            "importance": importance.to_numpy(dtype=float),
            "importance_share": (importance / total if total > 0 else importance * 0).to_numpy(dtype=float),
        }
    )


def load_model(entry: dict):
    _, kind = ARTIFACTS[entry["chosen_model"]]
    return kind.load(Path(entry["artifact_path"]))


def retrain_reason(store: Path, force: bool, drift: pd.DataFrame | None = None) -> str | None:
    """Why a build must train (no model registered, drift recommends it, or asked to), or None
    to reuse the registered model."""
    if force:
        return "forced by var force_retrain"
    if not read_registry(store):
        return "no registered model"
    if drift is not None and len(drift) and bool(drift["retrain_recommended"].any()):
        alerts = sorted(drift.loc[drift.severity == "alert", "feature"])
        return f"drift: {len(alerts)} features at alert ({', '.join(alerts)})"
    return None


def live_reference(store: Path) -> tuple[dict | None, str | None]:
    """The latest registered model's drift reference and version (None, None without one)."""
    entries = read_registry(store)
    if not entries:
        return None, None
    path = Path(entries[-1]["artifact_path"]).parent / "reference.json"
    return json.loads(path.read_text()), entries[-1]["model_version"]


SCORING_BATCH_ROWS = 500_000  # candidates scored at a time: memory stays flat as the pool grows


def candidate_sample(relation, max_rows: int) -> pd.DataFrame:
    """A deterministic sample of at most about ``max_rows`` rows of a DuckDB relation of
    candidates (every row when it is smaller): the rows whose hash of (customer, offer) falls
    in one residue class. Drift and the drift reference are measured on it."""
    rows = relation.aggregate("count(*)").fetchall()[0][0]
    step = max(1, -(-rows // max_rows))
    return relation.filter(f"hash(customer_id, offer_id) % {step} = 0").df() if step > 1 else relation.df()


def ranker_scores(
    candidates: pd.DataFrame | Iterable[pd.DataFrame],
    examples: pd.DataFrame,
    run_date: dt.date,
    store: Path,
    force: bool,
    drift: pd.DataFrame | None = None,
    reference_bins: int = 10,
    reference: pd.DataFrame | None = None,
    echo=print,
) -> pd.DataFrame:
    """Score every candidate with the registered model, training one first when needed.
    ``candidates`` is one frame or batches of it; ``reference`` (default: the frame) is the
    sample of today's candidates a newly trained model keeps as its drift reference."""
    batches = [candidates] if isinstance(candidates, pd.DataFrame) else candidates
    if reference is None:
        if not isinstance(candidates, pd.DataFrame):
            raise ValueError("scoring in batches needs the reference sample of the candidates")
        reference = candidates
    store.mkdir(parents=True, exist_ok=True)
    reason = retrain_reason(store, force, drift)
    if reason:
        echo(f"[ranker] training: {reason}")
        train(examples, reference, run_date, store, reason, reference_bins, echo=echo)
    entry = read_registry(store)[-1]
    model = load_model(entry)
    parts = []
    for batch in batches:
        scores = model.predict(feature_matrix(batch)) if len(batch) else np.zeros(0)
        scores = undo_negative_sampling(scores, entry["negative_keep_rate"])
        parts.append(
            pd.DataFrame(
                {
                    "customer_id": batch["customer_id"].to_numpy(dtype="int64"),
                    "offer_id": batch["offer_id"].to_numpy(dtype="int64"),
                    "score": np.clip(scores, 0.0, 1.0),
                }
            )
        )
    empty = pd.DataFrame(columns=["customer_id", "offer_id", "score"])
    scored = pd.concat(parts, ignore_index=True) if parts else empty
    return scored.assign(model_version=entry["model_version"])


def registry_frame(store: Path) -> pd.DataFrame:
    """The registry as a flat frame (features and parameters as JSON text)."""
    entries = read_registry(store)
    frame = pd.DataFrame(entries, columns=list(RegistryEntry.__dataclass_fields__))
    frame["features"] = frame["features"].map(json.dumps)
    frame["parameters"] = frame["parameters"].map(json.dumps)
    return frame
