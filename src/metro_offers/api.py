"""The serving API: each customer's top offers from the published snapshot (FastAPI).

The API never opens the warehouse dbt writes. It loads the serving snapshot into memory
(numpy arrays, sorted by customer) and a background thread watches the snapshot file: when a
build publishes a new one, it is loaded beside the old and swapped in with one assignment,
so requests in flight finish on the old data and none is dropped or waits.
"""

import contextlib
import datetime as dt
import json
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import duckdb
import numpy as np
from fastapi import Body, FastAPI, HTTPException, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from metro_offers.ranking.scoring import RECOMMENDATION_SOURCES

MAX_ID = 2**53 - 1  # the largest integer JSON clients (JavaScript, float parsers) keep exact
MAX_BATCH = 100


# ---------------------------------------------------------------- response models
class Offer(BaseModel):
    offer_id: int = Field(examples=[42])
    offer_name: str = Field(examples=["20% off Dairy"])
    offer_level: Literal["product", "category"]
    product_id: int | None = Field(examples=[None])
    category_id: int = Field(examples=[7])
    category_name: str | None = Field(examples=["Dairy"])
    department: str | None = Field(examples=["Fresh"])
    discount_pct: float = Field(examples=[0.2])
    start_date: dt.date
    end_date: dt.date
    valid_on_run_date: bool = Field(description="The offer can be recommended on the snapshot's run date.")
    historical_redemption_rate: float | None = Field(
        description="Smoothed redemption rate before the run date (offers valid on it only)."
    )


class Recommendation(BaseModel):
    rank: int = Field(ge=1, examples=[1])
    offer_id: int = Field(examples=[42])
    score: float | None = Field(
        description="The live ranker's calibrated P(redeemed in the next window); null for a fallback recommendation.",
        examples=[0.081],
    )
    source: Literal[(*RECOMMENDATION_SOURCES, "segment_popularity_fallback")] = Field(
        description="ranker (a learned ranker), the baseline served when none beat it, or the segment fallback."
    )
    proposed_by: list[str] = Field(description="Candidate strategies that proposed the offer.")
    reasons: list[str] = Field(
        description="Why the offer is here, in words.",
        examples=[["you bought this product before", "23% of your spend is in Dairy"]],
    )
    offer: Offer


class CustomerRecommendations(BaseModel):
    customer_id: int = Field(examples=[1234])
    run_date: dt.date
    model_version: str | None = Field(examples=["20261101-5d5bcb26"])
    recommendations: list[Recommendation]
    note: str | None = Field(default=None, description="Why the list is empty or short, when it is.")


class BatchRequestBase(BaseModel):
    customer_ids: list[Annotated[int, Field(gt=0, le=MAX_ID)]] = Field(
        min_length=1, max_length=MAX_BATCH, examples=[[1, 2, 3]]
    )


class BatchItem(BaseModel):
    customer_id: int
    status: Literal["ok", "error"]
    result: CustomerRecommendations | None = None
    error: str | None = Field(default=None, examples=["customer 999999 is not known as of 2026-11-01"])


class BatchResponse(BaseModel):
    results: list[BatchItem]


class Health(BaseModel):
    status: Literal["ok"]
    snapshot: str
    run_date: dt.date
    model_version: str | None
    published_at: str
    snapshot_age_seconds: float = Field(description="Seconds since the snapshot was published.")
    loaded_at: str
    row_counts: dict[str, int]


class MetricRow(BaseModel):
    method: str
    subset: str
    metric: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    customers: int | None


class DriftRow(BaseModel):
    feature: str
    psi: float | None
    severity: str


class Metrics(BaseModel):
    model_version: str | None
    run_date: dt.date
    evaluation_cutoff: dt.date | None
    offline_evaluation: list[MetricRow]
    drift_run_date: dt.date | None
    retrain_recommended: bool | None
    drift: list[DriftRow]


class ErrorMessage(BaseModel):
    detail: str


# ---------------------------------------------------------------- the snapshot in memory
def _none_if_nan(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


@dataclass(frozen=True)
class LoadedSnapshot:
    path: Path
    identity: tuple[int, int]  # (inode, mtime_ns) of the file it was loaded from
    info: dict
    loaded_at: str
    customer_ids: np.ndarray  # sorted: every customer known on the run date
    rec_customer: np.ndarray  # recommendation rows sorted by (customer, rank)
    rec_offer: np.ndarray
    rec_score: np.ndarray
    rec_source: np.ndarray
    rec_proposed_by: np.ndarray  # code into strategy_sets
    rec_bought_before: np.ndarray
    rec_affinity: np.ndarray
    strategy_sets: list[list[str]]
    offers: dict[int, Offer]
    metrics: Metrics

    @classmethod
    def load(cls, path: Path) -> "LoadedSnapshot":
        stat = path.stat()
        with duckdb.connect(str(path), read_only=True) as con:
            info = json.loads(con.sql("select info from snapshot_info").fetchall()[0][0])
            customers = con.sql("select customer_id from customer_features order by customer_id").fetchnumpy()
            recs = con.sql(
                "select customer_id, offer_id, coalesce(score, 'nan'::double) as score, recommendation_source, "
                "array_to_string(proposed_by, ',') as proposed_by, coalesce(bought_before, false) as bought_before, "
                "coalesce(category_affinity_score, 0) as affinity "
                "from recommendations order by customer_id, recommendation_rank"
            ).fetchnumpy()
            offers = con.sql("select * from offers").df()
            evaluation = con.sql("select * from offline_evaluation").df()
            drift = con.sql("select * from drift_log where run_date = (select max(run_date) from drift_log)").df()
        strategy_sets, proposed_codes = np.unique(recs["proposed_by"].astype(str), return_inverse=True)
        offer_models = {
            int(row["offer_id"]): Offer(**{k: _none_if_nan(v) for k, v in row.items() if k in Offer.model_fields})
            for row in offers.astype(object).where(offers.notna(), None).to_dict("records")
        }
        metrics = Metrics(
            model_version=info["model_version"],
            run_date=info["run_date"],
            evaluation_cutoff=evaluation.evaluation_cutoff.iloc[0] if len(evaluation) else None,
            offline_evaluation=[
                MetricRow(
                    method=r["method"],
                    subset=r["subset"],
                    metric=r["metric"],
                    value=_none_if_nan(r["metric_value"]),
                    ci_low=_none_if_nan(r["ci_low"]),
                    ci_high=_none_if_nan(r["ci_high"]),
                    customers=_none_if_nan(r["customers"]),
                )
                for r in evaluation.astype(object).where(evaluation.notna(), None).to_dict("records")
            ],
            drift_run_date=drift.run_date.iloc[0] if len(drift) else None,
            retrain_recommended=bool(drift.retrain_recommended.any()) if len(drift) else None,
            drift=[
                DriftRow(feature=r["feature"], psi=_none_if_nan(r["psi"]), severity=r["severity"])
                for r in drift.astype(object).where(drift.notna(), None).to_dict("records")
            ],
        )
        return cls(
            path=path,
            identity=(stat.st_ino, stat.st_mtime_ns),
            info=info,
            loaded_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            customer_ids=customers["customer_id"].astype(np.int64),
            rec_customer=recs["customer_id"].astype(np.int64),
            rec_offer=recs["offer_id"].astype(np.int64),
            rec_score=recs["score"].astype(np.float64),
            rec_source=recs["recommendation_source"].astype(str),
            rec_proposed_by=proposed_codes,
            rec_bought_before=recs["bought_before"].astype(bool),
            rec_affinity=recs["affinity"].astype(np.float64),
            strategy_sets=[s.split(",") if s else [] for s in strategy_sets],
            offers=offer_models,
            metrics=metrics,
        )

    def knows(self, customer_id: int) -> bool:
        i = np.searchsorted(self.customer_ids, customer_id)
        return bool(i < len(self.customer_ids) and self.customer_ids[i] == customer_id)

    def recommendations(self, customer_id: int, k: int) -> CustomerRecommendations:
        """The customer's top k; raises KeyError for a customer unknown on the run date."""
        if not self.knows(customer_id):
            raise KeyError(f"customer {customer_id} is not known as of {self.info['run_date']}")
        start, end = np.searchsorted(self.rec_customer, [customer_id, customer_id + 1])
        end = min(end, start + k)
        items = [self._item(i, rank) for rank, i in enumerate(range(start, end), start=1)]
        note = None
        if not items:
            note = f"no offer is valid on {self.info['run_date']}, so there is nothing to recommend"
        elif items[0].source == "segment_popularity_fallback":
            note = "the customer has redeemed every valid offer: the segment's most popular offers instead"
        return CustomerRecommendations(
            customer_id=customer_id,
            run_date=self.info["run_date"],
            model_version=self.info["model_version"],
            recommendations=items,
            note=note,
        )

    def _item(self, i: int, rank: int) -> Recommendation:
        offer = self.offers[int(self.rec_offer[i])]
        strategies = self.strategy_sets[self.rec_proposed_by[i]]
        reasons = []
        if self.rec_bought_before[i]:
            target = "this product" if offer.offer_level == "product" else offer.category_name
            reasons.append(f"you bought {target} before")
        if self.rec_affinity[i] >= 0.01:
            reasons.append(f"{self.rec_affinity[i]:.0%} of your spend is in {offer.category_name}")
        reasons.append(f"{offer.discount_pct:.0%} off")
        reasons.append("proposed by " + ", ".join(s.replace("_", " ") for s in strategies))
        return Recommendation(
            rank=rank,
            offer_id=offer.offer_id,
            score=_none_if_nan(float(self.rec_score[i])),
            source=self.rec_source[i],
            proposed_by=strategies,
            reasons=reasons,
            offer=offer,
        )


class SnapshotStore:
    """The current snapshot, reloaded by a watcher thread when a new file is published."""

    def __init__(self, path: Path, poll_seconds: float = 1.0, echo=print) -> None:
        self.path = path
        self.poll_seconds = poll_seconds
        self.echo = echo
        self.current: LoadedSnapshot | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.reload_if_changed()

    def _identity(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def reload_if_changed(self) -> bool:
        identity = self._identity()
        if identity is None or (self.current is not None and self.current.identity == identity):
            return False
        try:
            loaded = LoadedSnapshot.load(self.path)
        except (duckdb.Error, OSError, KeyError, ValueError) as error:  # keep serving the old one
            self.echo(f"[serve] could not load {self.path}: {error}")
            return False
        self.current = loaded  # one assignment: requests see the old or the new snapshot, never a mix
        self.echo(f"[serve] serving the snapshot of {loaded.info['run_date']} ({loaded.info['model_version']})")
        return True

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            self.reload_if_changed()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._watch, name="snapshot-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)


# ---------------------------------------------------------------- the app
def create_app(snapshot: Path, max_k: int = 10, poll_seconds: float = 1.0) -> FastAPI:
    store = SnapshotStore(snapshot, poll_seconds=poll_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        store.start()
        yield
        store.stop()

    app = FastAPI(
        title="metro-offers",
        version="0.1.0",
        description=(
            "Each customer's top offers from the latest published snapshot of the metro-offers "
            "warehouse. The snapshot is replaced atomically after each successful build and "
            "picked up without a restart."
        ),
        lifespan=lifespan,
    )
    app.state.store = store
    not_ready = {503: {"model": ErrorMessage, "description": "No snapshot has been published yet."}}

    def current() -> LoadedSnapshot:
        loaded = store.current
        if loaded is None:
            raise HTTPException(503, f"no snapshot at {snapshot} yet: run `metro-offers build` to publish one")
        return loaded

    class BatchRequest(BatchRequestBase):
        k: int = Field(default=max_k, ge=1, le=max_k, examples=[5])

    customer_path = PathParam(gt=0, le=MAX_ID, description="Customer id.", examples=[1234])
    k_query = Query(ge=1, le=max_k, description=f"How many offers (1 to {max_k}).")

    @app.get("/health", response_model=Health, responses=not_ready, tags=["service"])
    def health() -> Health:
        """Snapshot age, run date, model version and row counts."""
        loaded = current()
        published = dt.datetime.strptime(loaded.info["published_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        return Health(
            status="ok",
            snapshot=str(loaded.path),
            run_date=loaded.info["run_date"],
            model_version=loaded.info["model_version"],
            published_at=loaded.info["published_at"],
            snapshot_age_seconds=round((dt.datetime.now(dt.UTC) - published).total_seconds(), 1),
            loaded_at=loaded.loaded_at,
            row_counts=loaded.info["row_counts"],
        )

    @app.get(
        "/recommendations/{customer_id}",
        response_model=CustomerRecommendations,
        responses={404: {"model": ErrorMessage, "description": "Unknown customer."}, **not_ready},
        tags=["recommendations"],
    )
    def recommendations(
        customer_id: Annotated[int, customer_path], k: Annotated[int, k_query] = max_k
    ) -> CustomerRecommendations:
        """The customer's top k offers with score, rank, offer details, the proposing
        strategies and the reasons."""
        try:
            return current().recommendations(customer_id, k)
        except KeyError as error:
            raise HTTPException(404, error.args[0]) from None

    @app.post("/recommendations/batch", response_model=BatchResponse, responses=not_ready, tags=["recommendations"])
    def batch(
        request: Annotated[BatchRequest, Body(examples=[{"customer_ids": [1, 2, 999999999], "k": 5}])],
    ) -> BatchResponse:
        """Up to 100 customers at once (MAX_BATCH): a result, or an error such as an unknown
        customer, per id."""
        loaded = current()
        results = []
        for customer_id in request.customer_ids:
            try:
                result = loaded.recommendations(customer_id, request.k)
                results.append(BatchItem(customer_id=customer_id, status="ok", result=result))
            except KeyError as error:
                results.append(BatchItem(customer_id=customer_id, status="error", error=error.args[0]))
        return BatchResponse(results=results)

    @app.get("/metrics", response_model=Metrics, responses=not_ready, tags=["model"])
    def metrics() -> Metrics:
        """Offline evaluation of the live model (every method, with 95% intervals) and the
        drift status of the latest run date."""
        return current().metrics

    @app.get(
        "/offers/{offer_id}",
        response_model=Offer,
        responses={404: {"model": ErrorMessage, "description": "Unknown offer."}, **not_ready},
        tags=["offers"],
    )
    def offer(offer_id: Annotated[int, PathParam(gt=0, le=MAX_ID, examples=[42])]) -> Offer:
        """One offer's details."""
        loaded = current()
        if offer_id not in loaded.offers:
            raise HTTPException(404, f"offer {offer_id} is not known as of {loaded.info['run_date']}")
        return loaded.offers[offer_id]

    return app
