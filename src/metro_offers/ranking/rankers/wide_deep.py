"""Wide & Deep (Cheng et al. 2016) in PyTorch over the pool rows.

Wide: a linear model over the numeric features and over sparse crosses (``WIDE_CROSSES``:
segment x category, bought-before x discount band, segment x discount band, category x
bought-before), one learned weight per cross value. Deep: an embedding per categorical id
(segment, category) beside the numeric features, through an MLP. The two are summed into one
logit and trained jointly, with one optimiser per part (Adam), on the same lists and
validation pool as the other rankers: the paper's logistic loss over the rows of the lists
(pool, customer) that hold a redemption, in mini-batches of whole lists, early-stopped on
NDCG@10 of the validation pool (the measured task). A listwise softmax loss validated as
well but ranked the longer lists of the evaluation pool worse on the default data. The
Item2Vec vectors reach it through their similarity features.

Preprocessing is learned on the training rows and saved with the weights: medians fill gaps
(plus a missing flag where the training rows had gaps), numeric values go through
sign(x) log(1 + |x|) then standardisation, unseen categories map to an 'unknown' slot.
Artifact: one safetensors file, the state dict with the architecture, preprocessing and
training history as JSON in its header (no pickle). Trains on a GPU when there is one;
scores on the CPU, reproducibly for the seed. (About 400 lines: the network, its
preprocessing and its training loop are one model and change together.)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from metro_offers.ranking.data import RankingData
from metro_offers.ranking.features import CATEGORICAL_FEATURES, numeric_features
from metro_offers.ranking.rankers.base import Ranker
from metro_offers.torch_models import safetensors_metadata, training_device

K = 10  # the list length early stopping looks at
SEED = 7
EMBEDDING_DIM = 8
HIDDEN_UNITS = (64, 32)
LISTS_PER_BATCH = 64
LEARNING_RATE = {"wide": 0.01, "deep": 0.002}
DEEP_WEIGHT_DECAY = 1e-5
MAX_EPOCHS = 30
PATIENCE = 3  # epochs without a better validation NDCG before stopping
DEFAULT_EPOCHS = 8  # without a validation pool to stop on
DISCOUNT_BAND_QUANTILES = (1 / 3, 2 / 3)
# (first, second) columns of each wide cross; discount_band is derived from discount_pct
WIDE_CROSSES = (
    ("segment", "category_id"),
    ("bought_before", "discount_band"),
    ("segment", "discount_band"),
    ("category_id", "bought_before"),
)
INTEGRATED_GRADIENT_STEPS = 32
IMPORTANCE_SAMPLE_ROWS = 2_000
SCORE_CHUNK_ROWS = 65_536
METADATA_KEY = "wide_deep"


# ---------------------------------------------------------------- preprocessing
@dataclass
class Preprocessing:
    """What turns a feature matrix into the network's inputs, learned on the training rows."""

    features: list[str]
    numeric: list[str]
    medians: dict[str, float]
    flagged: list[str]  # numeric features with a missing flag
    means: list[float]  # of the transformed numeric columns, then the flags
    scales: list[float]
    categories: dict[str, list[float]]  # categorical feature -> its levels (code = index + 1; 0 unknown)
    discount_edges: list[float]

    @classmethod
    def fit(cls, x: pd.DataFrame) -> Preprocessing:
        features = list(x.columns)
        numeric = list(numeric_features(features))
        medians = {c: float(x[c].median()) if x[c].notna().any() else 0.0 for c in numeric}
        flagged = [c for c in numeric if x[c].isna().any()]
        categories = {c: sorted(float(v) for v in x[c].dropna().unique()) for c in CATEGORICAL_FEATURES if c in x}
        discount = x["discount_pct"].dropna().to_numpy(dtype=float)
        edges = sorted(set(np.quantile(discount, DISCOUNT_BAND_QUANTILES).tolist())) if len(discount) else []
        prep = cls(features, numeric, medians, flagged, [], [], categories, edges)
        dense = prep._raw_dense(x)
        prep.means = dense.mean(axis=0).tolist()
        scales = dense.std(axis=0)
        prep.scales = np.where(scales > 0, scales, 1.0).tolist()
        return prep

    @property
    def dense_columns(self) -> list[str]:
        """The feature each dense input column belongs to (values, then missing flags)."""
        return [*self.numeric, *self.flagged]

    def _raw_dense(self, x: pd.DataFrame) -> np.ndarray:
        values = [x[c].fillna(self.medians[c]).to_numpy(dtype=float) for c in self.numeric]
        values = [np.sign(v) * np.log1p(np.abs(v)) for v in values]
        flags = [x[c].isna().to_numpy(dtype=float) for c in self.flagged]
        return np.column_stack(values + flags) if values or flags else np.zeros((len(x), 0))

    def dense(self, x: pd.DataFrame) -> np.ndarray:
        return ((self._raw_dense(x) - np.asarray(self.means)) / np.asarray(self.scales)).astype(np.float32)

    def category_codes(self, x: pd.DataFrame) -> np.ndarray:
        """One column per categorical feature: 1 + the level's index, 0 for a level not seen
        in training (or missing)."""
        columns = []
        for column, levels in self.categories.items():
            levels_array = np.asarray(levels, dtype=float)
            values = x[column].to_numpy(dtype=float)
            position = np.searchsorted(levels_array, values)
            found = (position < len(levels_array)) & (
                levels_array[np.minimum(position, max(len(levels_array) - 1, 0))] == values
            )
            columns.append(np.where(found, position + 1, 0))
        return np.column_stack(columns).astype(np.int64) if columns else np.zeros((len(x), 0), dtype=np.int64)

    def code_counts(self) -> dict[str, int]:
        """How many codes each cross input has: a category's levels plus 'unknown', bought
        before (no, yes, missing), the discount bands plus 'missing'."""
        counts = {c: len(levels) + 1 for c, levels in self.categories.items()}
        return counts | {"bought_before": 3, "discount_band": len(self.discount_edges) + 2}

    def _cross_codes(self, x: pd.DataFrame) -> dict[str, np.ndarray]:
        codes = self.category_codes(x)
        parts = {c: codes[:, i] for i, c in enumerate(self.categories)}
        bought = x["bought_before"].to_numpy(dtype=float)
        parts["bought_before"] = np.where(np.isnan(bought), 2, bought > 0).astype(np.int64)
        discount = x["discount_pct"].to_numpy(dtype=float)
        band = np.searchsorted(np.asarray(self.discount_edges), discount, side="right")
        parts["discount_band"] = np.where(np.isnan(discount), len(self.discount_edges) + 1, band).astype(np.int64)
        return parts

    def cross_sizes(self) -> list[int]:
        counts = self.code_counts()
        return [counts[a] * counts[b] for a, b in WIDE_CROSSES]

    def crosses(self, x: pd.DataFrame) -> np.ndarray:
        """One column per wide cross: first code x (codes of the second) + second code."""
        codes, counts = self._cross_codes(x), self.code_counts()
        return np.column_stack([codes[a] * counts[b] + codes[b] for a, b in WIDE_CROSSES]).astype(np.int64)


# ---------------------------------------------------------------- the network
def _network(prep: Preprocessing):
    import torch
    from torch import nn

    class WideAndDeep(nn.Module):
        """logit = wide(numeric) + sum of cross weights + MLP(numeric, embeddings)."""

        def __init__(self) -> None:
            super().__init__()
            n_dense = len(prep.dense_columns)
            self.wide_linear = nn.Linear(n_dense, 1)
            self.wide_crosses = nn.ModuleList(nn.Embedding(size, 1) for size in prep.cross_sizes())
            for weights in self.wide_crosses:
                nn.init.zeros_(weights.weight)
            self.embeddings = nn.ModuleList(
                nn.Embedding(len(levels) + 1, EMBEDDING_DIM) for levels in prep.categories.values()
            )
            layers, width = [], n_dense + EMBEDDING_DIM * len(prep.categories)
            for units in HIDDEN_UNITS:
                layers += [nn.Linear(width, units), nn.ReLU()]
                width = units
            layers.append(nn.Linear(width, 1))
            self.mlp = nn.Sequential(*layers)

        def wide_parameters(self):
            return [*self.wide_linear.parameters(), *self.wide_crosses.parameters()]

        def deep_parameters(self):
            return [*self.embeddings.parameters(), *self.mlp.parameters()]

        def represent(self, codes, crosses):
            """(embedded categories: rows x categoricals x dim, each cross's weight: rows x crosses)."""
            embedded = torch.stack([e(codes[:, i]) for i, e in enumerate(self.embeddings)], dim=1)
            wide_terms = torch.cat([w(crosses[:, i]) for i, w in enumerate(self.wide_crosses)], dim=1)
            return embedded, wide_terms

        def head(self, dense, embedded, wide_terms):
            deep_input = torch.cat([dense, embedded.flatten(start_dim=1)], dim=1)
            return (self.wide_linear(dense) + self.mlp(deep_input)).squeeze(1) + wide_terms.sum(dim=1)

        def forward(self, dense, codes, crosses):
            return self.head(dense, *self.represent(codes, crosses))

    return WideAndDeep()


@dataclass
class _Tensors:
    """A ranking data set as the network's inputs, rows grouped by list."""

    dense: object
    codes: object
    crosses: object
    label: object
    list_starts: np.ndarray  # first row of each list, plus the row count at the end

    @classmethod
    def of(cls, data: RankingData, prep: Preprocessing, device) -> _Tensors:
        import torch

        starts = np.r_[0, np.flatnonzero(np.diff(data.group)) + 1, len(data.group)]
        label = torch.as_tensor(data.label.astype(np.float32), device=device)
        return cls(*_inputs(prep, data.x[prep.features], device), label, starts)

    @property
    def n_lists(self) -> int:
        return len(self.list_starts) - 1

    def rows(self, lists: np.ndarray):
        """The rows of the given lists, list by list."""
        import torch

        begin, end = self.list_starts[lists], self.list_starts[lists + 1]
        sizes = end - begin
        rows = np.repeat(begin - np.r_[0, np.cumsum(sizes)[:-1]], sizes) + np.arange(sizes.sum())
        return torch.as_tensor(rows, device=self.label.device)

    def loss(self, network, lists: np.ndarray):
        """The logistic loss (the paper's) over the rows of the given lists."""
        import torch

        rows = self.rows(lists)
        score = network(self.dense[rows], self.codes[rows], self.crosses[rows])
        return torch.nn.functional.binary_cross_entropy_with_logits(score, self.label[rows])


def _inputs(prep: Preprocessing, x: pd.DataFrame, device, dtype=None):
    import torch

    return (
        torch.as_tensor(prep.dense(x), device=device, dtype=dtype),
        torch.as_tensor(prep.category_codes(x), device=device),
        torch.as_tensor(prep.crosses(x), device=device),
    )


def _logits(network, prep: Preprocessing, x: pd.DataFrame, device, dtype=None) -> np.ndarray:
    """The network's logit for every row, in chunks, on ``device`` (where the network is),
    with its numeric inputs in ``dtype`` (the network's parameters' type; float32 by default)."""
    import torch

    parts = []
    network.eval()
    with torch.no_grad():
        for start in range(0, len(x), SCORE_CHUNK_ROWS):
            chunk = _inputs(prep, x.iloc[start : start + SCORE_CHUNK_ROWS], device, dtype)
            parts.append(network(*chunk).cpu().numpy())
    return np.concatenate(parts).astype(float) if parts else np.zeros(0)


# ---------------------------------------------------------------- the ranker
@dataclass
class _Fitted:
    preprocessing: Preprocessing
    epochs: int
    history: list[dict] = field(default_factory=list)  # per epoch: train_loss, valid_loss, valid_ndcg_at_10
    importance: dict[str, float] = field(default_factory=dict)


class WideDeepRanker(Ranker):
    name = "wide_deep"
    artifact_name = "model.safetensors"
    explanation = "integrated gradients of the Wide & Deep logit from the training mean (cross weights split evenly)"
    importance_kind = "mean absolute integrated gradient on training rows"

    def __init__(self, network, fitted: _Fitted) -> None:
        self.network = network.cpu().eval()
        self.fitted = fitted
        self.prep = fitted.preprocessing
        self.features = tuple(self.prep.features)

    # -- training
    @classmethod
    def fit(cls, train: RankingData, valid: RankingData | None = None, parameters=None) -> WideDeepRanker:
        import torch

        torch.manual_seed(SEED)
        rng = np.random.default_rng(SEED)
        device = training_device()
        train = train.lists_with_positives()
        prep = Preprocessing.fit(train.x)
        network = _network(prep).to(device)
        optimisers = (
            torch.optim.Adam(network.wide_parameters(), lr=LEARNING_RATE["wide"]),
            torch.optim.Adam(network.deep_parameters(), lr=LEARNING_RATE["deep"], weight_decay=DEEP_WEIGHT_DECAY),
        )
        tensors = _Tensors.of(train, prep, device)
        stopping = parameters is None and valid is not None and valid.label.any()
        epochs = MAX_EPOCHS if stopping else int((parameters or {}).get("epochs", DEFAULT_EPOCHS))
        if stopping:
            valid_tensors = _Tensors.of(valid.lists_with_positives(), prep, device)
        history, best, best_epoch, best_state = [], -np.inf, 0, None
        for epoch in range(1, epochs + 1):
            network.train()
            order, total = rng.permutation(tensors.n_lists), 0.0
            for start in range(0, len(order), LISTS_PER_BATCH):
                loss = tensors.loss(network, order[start : start + LISTS_PER_BATCH])
                for optimiser in optimisers:
                    optimiser.zero_grad()
                loss.backward()
                for optimiser in optimisers:
                    optimiser.step()
                total += loss.item() * len(order[start : start + LISTS_PER_BATCH])
            record = {"epoch": epoch, "train_loss": total / max(tensors.n_lists, 1)}
            if stopping:
                network.eval()
                with torch.no_grad():
                    record["valid_loss"] = float(valid_tensors.loss(network, np.arange(valid_tensors.n_lists)))
                record["valid_ndcg_at_10"] = valid.ndcg(_logits(network, prep, valid.x[prep.features], device), K)
                if record["valid_ndcg_at_10"] > best:
                    best, best_epoch = record["valid_ndcg_at_10"], epoch
                    best_state = {k: v.detach().clone() for k, v in network.state_dict().items()}
            history.append(record)
            if stopping and epoch - best_epoch >= PATIENCE:
                break
        if best_state is not None:
            network.load_state_dict(best_state)
            epochs = best_epoch
        model = cls(network, _Fitted(prep, epochs, history))
        sample = train.x.sample(min(len(train.x), IMPORTANCE_SAMPLE_ROWS), random_state=SEED)
        model.fitted.importance = model.explain(sample).drop(columns="bias").abs().mean().to_dict()
        return model

    def parameters(self) -> dict:
        return {"epochs": self.fitted.epochs}

    def history(self) -> list[dict]:
        return self.fitted.history

    # -- scoring
    def score(self, x: pd.DataFrame) -> np.ndarray:
        """The logit (Platt calibration turns it into a probability downstream), in float64:
        a float32 product rounds differently with the size and make-up of the chunk a row is
        scored in, so a row's float32 logit moved by ~1e-7 with the rows around it (tables
        read in another order gave other scores); in float64 that is ~1e-16."""
        import copy

        import torch

        network = copy.deepcopy(self.network).double()
        return _logits(network, self.prep, x[list(self.features)], torch.device("cpu"), torch.float64)

    # -- explanations
    def _baseline(self):
        """The reference input: every numeric feature at its training mean (0 once
        standardised), every category at the mean of its embeddings, no cross weight."""
        import torch

        with torch.no_grad():
            embedded = torch.stack([e.weight.mean(dim=0) for e in self.network.embeddings])
        return torch.zeros(len(self.prep.dense_columns)), embedded, torch.zeros(len(WIDE_CROSSES))

    def explain(self, x: pd.DataFrame) -> pd.DataFrame:
        """Integrated gradients (Sundararajan et al. 2017) of the logit along the straight path
        from the baseline to each row, over the numeric inputs, the category embeddings and
        the cross weights (the wide part is linear, so a cross's part is its weight, split
        evenly between its two features). 'bias' is the baseline's logit, so each row's parts
        add up to its score (up to the integral's discretisation)."""
        import torch

        x = x[list(self.features)]
        dense, codes, crosses = _inputs(self.prep, x, torch.device("cpu"))
        with torch.no_grad():
            embedded, wide_terms = self.network.represent(codes, crosses)
        base_dense, base_embedded, base_wide = self._baseline()
        total = [torch.zeros_like(dense), torch.zeros_like(embedded), torch.zeros_like(wide_terms)]
        for step in range(INTEGRATED_GRADIENT_STEPS):
            alpha = (step + 0.5) / INTEGRATED_GRADIENT_STEPS  # midpoint rule
            point = [
                (base + alpha * (actual - base)).requires_grad_(True)
                for base, actual in ((base_dense, dense), (base_embedded, embedded), (base_wide, wide_terms))
            ]
            gradients = torch.autograd.grad(self.network.head(*point).sum(), point)
            total = [t + g for t, g in zip(total, gradients, strict=True)]
        attribution = [
            (t / INTEGRATED_GRADIENT_STEPS * (actual - base)).detach()
            for t, actual, base in zip(
                total, (dense, embedded, wide_terms), (base_dense, base_embedded, base_wide), strict=True
            )
        ]
        parts = pd.DataFrame(0.0, index=x.index, columns=[*self.features, "bias"])
        for i, feature in enumerate(self.prep.dense_columns):
            parts[feature] += attribution[0][:, i].numpy()
        for i, feature in enumerate(self.prep.categories):
            parts[feature] += attribution[1][:, i, :].sum(dim=1).numpy()
        for i, pair in enumerate(WIDE_CROSSES):
            for feature in pair:
                parts["discount_pct" if feature == "discount_band" else feature] += attribution[2][:, i].numpy() / 2
        with torch.no_grad():
            parts["bias"] = float(self.network.head(base_dense[None], base_embedded[None], base_wide[None])[0])
        return parts

    def importance(self) -> pd.Series:
        return pd.Series(self.fitted.importance, dtype=float).reindex(list(self.features)).fillna(0.0)

    # -- the artifact
    def to_bytes(self) -> bytes:
        from safetensors.torch import save

        metadata = {METADATA_KEY: json.dumps(asdict(self.fitted))}
        state = {k: v.contiguous() for k, v in self.network.state_dict().items()}
        return save(state, metadata=metadata)

    @classmethod
    def from_bytes(cls, data: bytes) -> WideDeepRanker:
        from safetensors.torch import load

        fitted = json.loads(safetensors_metadata(data)[METADATA_KEY])
        fitted = _Fitted(Preprocessing(**fitted.pop("preprocessing")), **fitted)
        network = _network(fitted.preprocessing)
        network.load_state_dict(load(data))
        return cls(network, fitted)
