"""The API's request and response models: the OpenAPI schema clients read. Responses are
prepared as JSON bytes (prepared.py) and must match these models exactly (tested)."""

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from metro_offers.ranking.scoring import RECOMMENDATION_SOURCES

MAX_ID = 2**53 - 1  # the largest integer JSON clients (JavaScript, float parsers) keep exact
MAX_BATCH = 100


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


class OfferSelection(BaseModel):
    offer_id: int = Field(examples=[42])
    policy: str = Field(description="The bandit policy that chose (var bandit_serving_policy).", examples=["thompson"])
    propensity: float = Field(
        gt=0,
        le=1,
        description="P(the policy chooses this offer for the customer today): log it with the impression "
        "(the landing's selection_propensity) so the choice can be evaluated off-policy.",
        examples=[0.42],
    )
    ranker_score: float | None = Field(description="The live ranker's P(redeem) of the offer.", examples=[0.081])
    posterior_mean: float = Field(description="The arm's (offer, segment) posterior mean P(redeem | shown).")
    offer: Offer


class CustomerOfferSelection(BaseModel):
    customer_id: int = Field(examples=[1234])
    run_date: dt.date
    selection: OfferSelection | None
    note: str | None = Field(default=None, description="Why there is no selection, when there is none.")


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
