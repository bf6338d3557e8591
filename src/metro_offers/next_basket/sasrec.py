"""SASRec (Kang & McAuley 2018) for next-basket prediction, in PyTorch.

Basket-aware: the tokens of the self-attentive sequence are a customer's baskets, not its
single products. A basket's token is the mean of its products' embeddings (scaled by
sqrt(dimensions), as SASRec scales its item embeddings) plus a position embedding (counted
from the latest basket) and an embedding of the days since the previous basket. Causal
attention over the baskets, pre-LayerNorm blocks (Transformer encoder layers with
``norm_first``), a final LayerNorm; the output at basket t scores every product of the
catalogue by its dot product with the product's (shared) embedding plus a bias, and is
trained to predict basket t + 1 with full softmax cross-entropy over the catalogue
(Klenitskiy & Vasilev 2023: no sampled negatives), each target product weighted 1/|basket|.
So products of the same basket are never each other's targets.

Training sequences are each customer's latest ``max_baskets`` + 1 baskets before the
validation cutoff; early stopping on NDCG@10 of the validation task (the first basket on or
after that cutoff, full ranking), keeping the best epoch's weights. Trains on a GPU when there
is one; scores on the CPU, reproducibly for the seed. Artifact: safetensors, the state dict
plus the catalogue, with settings and training history as JSON in the header (no pickle).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from metro_offers.next_basket.harness import target_metrics
from metro_offers.next_basket.sequences import GAP_BUCKETS, Sequences, build_sequences
from metro_offers.next_basket.task import NextBasketTask
from metro_offers.torch_models import safetensors_metadata, training_device
from metro_offers.var_settings import settings_from_vars

METADATA_KEY = "sasrec"
SCORE_BATCH = 1_024
VALIDATION_K = 10


@dataclass(frozen=True)
class SasrecSettings:
    """The dbt vars sasrec_<field> (dbt_project.yml documents each)."""

    max_baskets: int
    target_baskets: int
    max_basket_items: int
    dimensions: int
    blocks: int
    heads: int
    dropout: float
    learning_rate: float
    batch_size: int
    max_epochs: int
    patience: int
    validation_days: int
    validation_customers: int
    training_customers: int
    seed: int

    @classmethod
    def from_vars(cls, values: dict) -> SasrecSettings:
        """From the vars sasrec_<field> (or a dbt model's meta, whose values are strings)."""
        return settings_from_vars(cls, "sasrec", values)

    def as_dict(self) -> dict:
        return asdict(self)


def build_network(n_products: int, settings: SasrecSettings):
    import torch
    from torch import nn

    class SasrecNetwork(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            d = settings.dimensions
            self.products = nn.Embedding(n_products + 1, d, padding_idx=0)
            self.positions = nn.Embedding(settings.max_baskets, d)
            self.gaps = nn.Embedding(GAP_BUCKETS, d)
            self.product_bias = nn.Parameter(torch.zeros(n_products))
            layer = nn.TransformerEncoderLayer(
                d, settings.heads, dim_feedforward=d, dropout=settings.dropout, batch_first=True, norm_first=True
            )
            self.blocks = nn.TransformerEncoder(layer, settings.blocks, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(d)
            self.dropout = nn.Dropout(settings.dropout)
            # how much each repeat feature counts, from the customer's state
            self.repeat_gate = nn.Linear(d, REPEAT_FEATURES)
            nn.init.normal_(self.products.weight, std=d**-0.5)
            with torch.no_grad():
                self.products.weight[0].zero_()

        def encode(self, items, gaps):
            """[batch, slots, d] outputs; slot t has seen baskets up to t only."""
            batch, slots, _ = items.shape
            present = (items > 0).unsqueeze(-1)
            count = present.sum(2).clamp(min=1)
            baskets = self.products(items).sum(2) / count * math.sqrt(self.products.embedding_dim)
            from_end = torch.arange(slots - 1, -1, -1, device=items.device)
            x = self.dropout(baskets + self.positions(from_end) + self.gaps(gaps))
            empty = items[:, :, 0] == 0
            # causal, and a basket never attends to empty slots (an empty slot attends to
            # itself so that no row of the attention is all masked)
            future = torch.ones(slots, slots, dtype=torch.bool, device=items.device).triu(1)
            masked = future | (empty.unsqueeze(1) & ~empty.unsqueeze(2))
            masked = masked & ~torch.eye(slots, dtype=torch.bool, device=items.device)
            masked = masked.repeat_interleave(settings.heads, dim=0)
            return self.norm(self.blocks(x, mask=masked))

        def forward(self, items, gaps, rows, slots):
            """[predictions, products] logits of the basket after slot ``slots[j]`` of sequence
            ``rows[j]`` (column j = product code j + 1)."""
            outputs = self.encode(items, gaps)[rows, slots]
            explore = outputs @ self.products.weight[1:].T + self.product_bias
            repeat, bought = repeat_logits(items, rows, slots, self.repeat_gate(outputs), self.product_bias.numel())
            return torch.where(bought, repeat, explore)

    return SasrecNetwork()


REPEAT_FEATURES = 3  # the gates: offset, log share, latest basket


def repeat_logits(items, rows, slots, gate, n_products: int):
    """The repeat part of the logits over the sequence up to slot t, and which products it
    covers (those bought in it), both [predictions, products] (column j = product code j + 1):
    gate[:, 0] + gate[:, 1] x log(share of the customer's baskets holding the product) +
    gate[:, 2] x held by the latest basket (slot t). Bought products are scored by this alone
    (RepeatNet's repeat mode; with gate (0, 1, 0) their probabilities are in proportion to
    their share, as P-TopFreq ranks them), the others by the explore part."""
    import torch

    sequence = items[rows]  # [predictions, slots, basket items]
    index = torch.arange(len(rows), device=items.device)
    seen = torch.arange(items.shape[1], device=items.device)[None, :] <= slots[:, None]
    codes = (sequence * seen[:, :, None]).flatten(1)
    counts = torch.zeros(len(rows), n_products + 1, device=items.device).scatter_add_(1, codes, (codes > 0).float())
    baskets = ((sequence[:, :, 0] > 0) & seen).sum(1, keepdim=True).clamp(min=1)
    latest = torch.zeros_like(counts).scatter_(1, sequence[index, slots], 1.0)
    # computed where the customer's products are only, then spread over the catalogue: each
    # of a product's occurrences adds 1/occurrences of its value (and gets that share of the
    # gradient); padding (code 0) lands in column 0, which is dropped
    occurrences = counts.gather(1, codes).clamp(min=1)
    at_codes = gate[:, :1] + gate[:, 1:2] * torch.log(occurrences / baskets) + gate[:, 2:] * latest.gather(1, codes)
    repeat = torch.zeros_like(counts).scatter_add(1, codes, at_codes / occurrences)
    return repeat[:, 1:], counts[:, 1:] > 0


def basket_loss(network, items, gaps, target_baskets: int):
    """Mean over predicted baskets (the last ``target_baskets`` of each sequence) of the
    softmax cross-entropy of basket t + 1's products (each 1/|basket|) given baskets up to t."""
    import torch

    inputs, targets = items[:, :-1], items[:, 1:]
    predicted = (inputs[:, :, 0] > 0) & (targets[:, :, 0] > 0)
    predicted[:, :-target_baskets] = False
    rows, slots = predicted.nonzero(as_tuple=True)
    log_p = torch.log_softmax(network(inputs, gaps[:, :-1], rows, slots), dim=-1)
    target = targets[rows, slots].long()
    present = target > 0
    picked = torch.where(present, log_p.gather(1, (target - 1).clamp(min=0)), 0.0)
    return -(picked.sum(1) / present.sum(1)).mean()


@dataclass
class TrainingData:
    """What SASRec learns from and stops on: training sequences (max_baskets + 1 slots) of
    the history before the validation cutoff, and the validation task's history (lines and
    sequences) with its target products."""

    products: np.ndarray
    train: Sequences
    valid: Sequences
    valid_history: pd.DataFrame  # the validation customers' lines before the validation cutoff
    valid_targets: pd.DataFrame  # customer_id, product_id


def training_data(lines: pd.DataFrame, cutoff: pd.Timestamp, settings: SasrecSettings) -> TrainingData:
    """From order lines (customer_id, basket_id, basket_time, product_id) before ``cutoff``:
    the catalogue (products bought before the validation cutoff), the training sequences (a
    deterministic sample of at most ``training_customers`` customers, so that training costs
    the same at any scale) and a deterministic sample of at most ``validation_customers`` of
    the validation task."""
    valid_cutoff = pd.Timestamp(cutoff) - pd.Timedelta(days=settings.validation_days)
    lines = lines[lines.basket_time < pd.Timestamp(cutoff)]
    before = lines[lines.basket_time < valid_cutoff]
    products = np.sort(before.product_id.unique())
    train = build_sequences(before, products, settings.max_baskets + 1, settings.max_basket_items)
    train = train.subset(np.flatnonzero(train.basket_count >= 2))
    if len(train.customers) > settings.training_customers:
        rng = np.random.default_rng([settings.seed, 1])
        train = train.subset(np.sort(rng.choice(len(train.customers), settings.training_customers, replace=False)))
    task = NextBasketTask.from_lines(lines, valid_cutoff)
    customers = task.customers
    if len(customers) > settings.validation_customers:
        rng = np.random.default_rng(settings.seed)
        customers = np.sort(rng.choice(customers, settings.validation_customers, replace=False))
    history = task.history[task.history.customer_id.isin(customers)]
    valid = build_sequences(history, products, settings.max_baskets, settings.max_basket_items)
    targets = task.targets[task.targets.customer_id.isin(valid.customers)][["customer_id", "product_id"]]
    return TrainingData(products, train, valid, history, targets.reset_index(drop=True))


def recall_ndcg(ranked: pd.DataFrame, targets: pd.DataFrame, k: int) -> tuple[float, float]:
    """Mean Recall@k and NDCG@k over the customers of ``targets`` (full-ranking lists)."""
    metrics = target_metrics(ranked, targets, k)
    return float(metrics.recall.mean()), float(metrics.ndcg.mean())


class Sasrec:
    """A trained SASRec network with its catalogue, settings and training history."""

    def __init__(self, network, products: np.ndarray, settings: SasrecSettings, history: list[dict]) -> None:
        self.network = network.cpu().eval()
        self.products = products
        self.settings = settings
        self.history = history

    @classmethod
    def fit(cls, data: TrainingData, settings: SasrecSettings, echo=print) -> Sasrec:
        import torch

        torch.manual_seed(settings.seed)
        rng = np.random.default_rng(settings.seed)
        device = training_device()
        network = build_network(len(data.products), settings).to(device)
        optimiser = torch.optim.Adam(network.parameters(), lr=settings.learning_rate)
        items = torch.as_tensor(data.train.items, dtype=torch.int64)
        gaps = torch.as_tensor(data.train.gaps)
        history, best, best_state, stale = [], -1.0, None, 0
        echo(
            f"[sasrec] {len(data.train.customers):,} training sequences, {len(data.products):,} products, "
            f"{len(data.valid.customers):,} validation customers, on {device.type}"
        )
        for epoch in range(1, settings.max_epochs + 1):
            started = time.perf_counter()
            network.train()
            order = rng.permutation(len(items))
            total, batches = 0.0, 0
            for start in range(0, len(order), settings.batch_size):
                rows = torch.as_tensor(order[start : start + settings.batch_size])
                loss = basket_loss(network, items[rows].to(device), gaps[rows].to(device), settings.target_baskets)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total, batches = total + loss.item(), batches + 1
            model = cls(network, data.products, settings, history)
            ranked = model.top_k(data.valid, VALIDATION_K)
            recall, ndcg = recall_ndcg(ranked, data.valid_targets, VALIDATION_K)
            network.to(device)
            record = {
                "epoch": epoch,
                "train_loss": round(total / max(batches, 1), 5),
                "valid_recall_at_10": round(recall, 5),
                "valid_ndcg_at_10": round(ndcg, 5),
                "seconds": round(time.perf_counter() - started, 2),
            }
            history.append(record)
            echo(
                f"[sasrec] epoch {epoch}: loss {record['train_loss']:.4f}, validation Recall@10 {recall:.4f}, "
                f"NDCG@10 {ndcg:.4f} ({record['seconds']} s)"
            )
            if ndcg > best:
                best, stale = ndcg, 0
                best_state = {name: value.detach().cpu().clone() for name, value in network.state_dict().items()}
            else:
                stale += 1
                if stale >= settings.patience:
                    break
        network.load_state_dict(best_state)
        return cls(network, data.products, settings, history)

    @property
    def best_epoch(self) -> int:
        return max(self.history, key=lambda r: r["valid_ndcg_at_10"])["epoch"] if self.history else 0

    def sequences(self, lines: pd.DataFrame) -> Sequences:
        """The scoring sequences (latest max_baskets baskets) of the customers in ``lines``."""
        return build_sequences(lines, self.products, self.settings.max_baskets, self.settings.max_basket_items)

    def probabilities(self, sequences: Sequences):
        """Batches of (customer ids, [customers, products] next-basket probabilities)."""
        import torch

        self.network.eval()
        with torch.no_grad():
            for start in range(0, len(sequences.customers), SCORE_BATCH):
                part = slice(start, start + SCORE_BATCH)
                items = torch.as_tensor(sequences.items[part], dtype=torch.int64)
                rows = torch.arange(len(items))
                slots = torch.full_like(rows, items.shape[1] - 1)
                logits = self.network(items, torch.as_tensor(sequences.gaps[part]), rows, slots)
                yield sequences.customers[part], torch.softmax(logits, -1).numpy()

    def top_k(self, sequences: Sequences, k: int) -> pd.DataFrame:
        """customer_id, product_id, rank of the k most probable products of every customer."""
        parts = [top_k_frame(ids, p, self.products, k) for ids, p in self.probabilities(sequences)]
        return (
            pd.concat(parts, ignore_index=True)
            if parts
            else pd.DataFrame(columns=["customer_id", "product_id", "rank"])
        )

    def to_bytes(self) -> bytes:
        import torch
        from safetensors.torch import save

        state = {name: value.contiguous() for name, value in self.network.state_dict().items()}
        state["catalogue"] = torch.as_tensor(self.products, dtype=torch.int64)
        header = {"settings": self.settings.as_dict(), "history": self.history}
        return save(state, metadata={METADATA_KEY: json.dumps(header)})

    @classmethod
    def from_bytes(cls, data: bytes) -> Sasrec:
        from safetensors.torch import load

        header = json.loads(safetensors_metadata(data)[METADATA_KEY])
        settings = SasrecSettings(**header["settings"])
        state = load(data)
        products = state.pop("catalogue").numpy()
        network = build_network(len(products), settings)
        network.load_state_dict(state)
        return cls(network, products, settings, header["history"])


def top_k_frame(customers: np.ndarray, scores: np.ndarray, products: np.ndarray, k: int) -> pd.DataFrame:
    """The k best-scored products of each row of ``scores``, best first (ties inside the k
    by catalogue order); products scored -inf are never listed."""
    k = min(k, scores.shape[1])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    picked = np.take_along_axis(scores, top, axis=1)
    order = np.lexsort((top, -picked), axis=1)
    top = np.take_along_axis(top, order, axis=1)
    listed = np.isfinite(np.take_along_axis(picked, order, axis=1)).ravel()
    return pd.DataFrame(
        {
            "customer_id": np.repeat(customers, k)[listed],
            "product_id": products[top].ravel()[listed],
            "rank": np.tile(np.arange(1, k + 1), len(customers))[listed],
        }
    )
