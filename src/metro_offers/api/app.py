"""The serving API: each customer's top offers from the published snapshot (FastAPI).

The API never opens the warehouse dbt writes: it serves the published snapshot from memory
(prepared.py), swapped for a new one when a build publishes it (store.py). Responses are
prepared JSON bytes; single lookups and offers that are well-formed and known are answered by
``PreparedLookups`` before FastAPI's routing, and everything else (bad ids, unknown customers,
no snapshot yet, the documentation) goes through FastAPI, so errors and the OpenAPI schema
are FastAPI's own. ``metro-offers serve --workers N`` runs N such processes on one port.
"""

import contextlib
import datetime as dt
import os
from pathlib import Path
from typing import Annotated

from fastapi import Body, FastAPI, HTTPException, Query, Response
from fastapi import Path as PathParam
from pydantic import Field

from metro_offers.api.prepared import PreparedSnapshot
from metro_offers.api.schema import (
    MAX_ID,
    BatchRequestBase,
    BatchResponse,
    CustomerOfferSelection,
    CustomerRecommendations,
    ErrorMessage,
    Health,
    Metrics,
    Offer,
)
from metro_offers.api.store import SnapshotStore
from metro_offers.processes import die_with_parent

# how `metro-offers serve` hands its settings to the worker processes uvicorn starts
SNAPSHOT_ENV, MAX_K_ENV, WORKERS_ENV = "METRO_SERVE_SNAPSHOT", "METRO_SERVE_MAX_K", "METRO_SERVE_WORKERS"
JSON_HEADERS = [(b"content-type", b"application/json")]
# the prepared lookups
RECOMMENDATIONS_PATH, OFFERS_PATH, SELECTIONS_PATH = "/recommendations/", "/offers/", "/offer-selections/"


def _canonical_int(text: str, high: int) -> int | None:
    """``text`` as an int in 1..high when written as FastAPI would accept it unchanged (ASCII
    digits, no sign, no leading zero); None otherwise, and FastAPI judges it."""
    if not (text.isascii() and text.isdigit()) or text.startswith("0") or len(text) > len(str(high)):
        return None
    value = int(text)
    return value if value <= high else None


class PreparedLookups:
    """ASGI middleware answering GET /recommendations/{id}[?k=n], GET /offers/{id} and GET
    /offer-selections/{id} from prepared bytes when the request is well-formed and the id
    known; any other request goes on to FastAPI unchanged."""

    def __init__(self, app, store: SnapshotStore, max_k: int) -> None:
        self.app, self.store, self.max_k = app, store, max_k

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            body = self._answer(scope["path"], scope["query_string"])
            if body is not None:
                headers = [*JSON_HEADERS, (b"content-length", b"%d" % len(body))]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def _answer(self, path: str, query: bytes) -> bytes | None:
        loaded = self.store.current
        if loaded is None:
            return None
        if path.startswith(RECOMMENDATIONS_PATH):
            customer_id = _canonical_int(path.removeprefix(RECOMMENDATIONS_PATH), MAX_ID)
            k = self._k(query)
            return None if customer_id is None or k is None else loaded.recommendations_json(customer_id, k)
        if query:
            return None
        if path.startswith(OFFERS_PATH):
            offer_id = _canonical_int(path.removeprefix(OFFERS_PATH), MAX_ID)
            return None if offer_id is None else loaded.offer_json(offer_id)
        if path.startswith(SELECTIONS_PATH):
            customer_id = _canonical_int(path.removeprefix(SELECTIONS_PATH), MAX_ID)
            return None if customer_id is None else loaded.selection_json(customer_id)
        return None

    def _k(self, query: bytes) -> int | None:
        """k from a query string that is empty or exactly ``k=<n>``; None for anything else."""
        if not query:
            return self.max_k
        return _canonical_int(query[2:].decode("latin-1"), self.max_k) if query.startswith(b"k=") else None


def _json(body: bytes) -> Response:
    return Response(content=body, media_type="application/json")


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
            "Each customer's top offers, and today's bandit choice with its propensity, from the "
            "latest published snapshot of the metro-offers warehouse. The snapshot is replaced "
            "atomically after each successful build and picked up without a restart."
        ),
        lifespan=lifespan,
    )
    app.state.store = store
    app.add_middleware(PreparedLookups, store=store, max_k=max_k)
    not_ready = {503: {"model": ErrorMessage, "description": "No snapshot has been published yet."}}

    def current() -> PreparedSnapshot:
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
    def recommendations(customer_id: Annotated[int, customer_path], k: Annotated[int, k_query] = max_k) -> Response:
        """The customer's top k offers with score, rank, offer details, the proposing
        strategies and the reasons."""
        loaded = current()
        body = loaded.recommendations_json(customer_id, k)
        if body is None:
            raise HTTPException(404, loaded.unknown_customer(customer_id))
        return _json(body)

    @app.post("/recommendations/batch", response_model=BatchResponse, responses=not_ready, tags=["recommendations"])
    def batch(
        request: Annotated[BatchRequest, Body(examples=[{"customer_ids": [1, 2, 999999999], "k": 5}])],
    ) -> Response:
        """Up to 100 customers at once (MAX_BATCH): a result, or an error such as an unknown
        customer, per id."""
        return _json(current().batch_json(request.customer_ids, request.k))

    @app.get(
        "/offer-selections/{customer_id}",
        response_model=CustomerOfferSelection,
        responses={404: {"model": ErrorMessage, "description": "Unknown customer."}, **not_ready},
        tags=["bandit"],
    )
    def offer_selection(customer_id: Annotated[int, customer_path]) -> Response:
        """Today's bandit choice for the customer: one offer picked by Thompson sampling (var
        bandit_serving_policy), with the propensity to log beside the impression so the
        choice can be evaluated off-policy; no selection, with a note, when there is none."""
        loaded = current()
        body = loaded.selection_json(customer_id)
        if body is None:
            raise HTTPException(404, loaded.unknown_customer(customer_id))
        return _json(body)

    @app.get("/metrics", response_model=Metrics, responses=not_ready, tags=["model"])
    def metrics() -> Response:
        """Offline evaluation of the live model (every method, with 95% intervals) and the
        drift status of the latest run date."""
        return _json(current().metrics_json)

    @app.get(
        "/offers/{offer_id}",
        response_model=Offer,
        responses={404: {"model": ErrorMessage, "description": "Unknown offer."}, **not_ready},
        tags=["offers"],
    )
    def offer(offer_id: Annotated[int, PathParam(gt=0, le=MAX_ID, examples=[42])]) -> Response:
        """One offer's details."""
        loaded = current()
        body = loaded.offer_json(offer_id)
        if body is None:
            raise HTTPException(404, f"offer {offer_id} is not known as of {loaded.info['run_date']}")
        return _json(body)

    return app


def app_from_environment() -> FastAPI:
    """The app of one `metro-offers serve` worker process, configured through the environment
    (uvicorn starts workers from an import string, not an object)."""
    if int(os.environ.get(WORKERS_ENV, "1")) > 1:
        die_with_parent()  # a worker must not outlive a killed `metro-offers serve`
    return create_app(Path(os.environ[SNAPSHOT_ENV]), max_k=int(os.environ[MAX_K_ENV]))
