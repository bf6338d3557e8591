"""The snapshot in memory, with its responses prepared as JSON bytes.

A lookup is a binary search and a join of byte strings prepared when the snapshot loads: each
offer's JSON, each strategy set's, each source's, the reasons that depend only on the offer.
Only the parts that vary per row (rank, score, the spend-share reason) are formatted per
request, so no response is validated or serialised by pydantic on the hot path. Per
recommendation row it keeps 24 bytes of arrays (a million customers x 10 offers: about 240 MB),
per customer 29 more for the bandit's choice; the JSON of whole lists is not stored, which would
take 7 KB per customer.

The bytes must say exactly what the pydantic models in schema.py say: tests/pytest/test_api.py
validates every prepared response of a snapshot against them and compares it with the
response built through the models.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pydantic_core

from metro_offers.api.schema import DriftRow, MetricRow, Metrics, Offer

FALLBACK_SOURCE = "segment_popularity_fallback"


def json_bytes(value) -> bytes:
    """Compact UTF-8 JSON written by pydantic's own serialiser, so it matches the models'."""
    return pydantic_core.to_json(value)


def json_number(value: float) -> bytes:
    """A float as JSON, NaN as null. pydantic's serialiser, not repr: they write the same
    number differently (8.9e-05 is 0.000089 to pydantic, 9e-06 is 9e-6)."""
    return b"null" if math.isnan(value) else pydantic_core.to_json(value)


def _records(frame) -> list[dict]:
    """A frame's rows as dicts, missing values (NaN, NaT, NA) as None."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _position(sorted_ids: np.ndarray, key: int) -> int | None:
    """Where ``key`` is in ``sorted_ids``, or None."""
    i = int(np.searchsorted(sorted_ids, key))
    return i if i < len(sorted_ids) and sorted_ids[i] == key else None


@dataclass(frozen=True)
class PreparedOffer:
    """One offer's JSON and the reason texts that depend only on the offer."""

    offer_id: int
    json: bytes
    category_name: str | None
    bought_before_reason: bytes
    discount_reason: bytes

    @classmethod
    def of(cls, offer: Offer) -> PreparedOffer:
        target = "this product" if offer.offer_level == "product" else offer.category_name
        return cls(
            offer_id=offer.offer_id,
            json=offer.model_dump_json().encode(),
            category_name=offer.category_name,
            bought_before_reason=json_bytes(f"you bought {target} before"),
            discount_reason=json_bytes(f"{offer.discount_pct:.0%} off"),
        )


@dataclass(frozen=True)
class PreparedSelections:
    """Today's bandit choice per customer (the snapshot's offer_selections), in arrays parallel
    to PreparedSnapshot.customer_ids; a customer without a choice has offer -1."""

    offer: np.ndarray  # int32: index into the snapshot's offers, -1 for no choice
    policy: np.ndarray  # int8: index into policy_json
    propensity: np.ndarray  # float64
    ranker_score: np.ndarray  # float64, NaN when null
    posterior_mean: np.ndarray  # float64
    policy_json: tuple[bytes, ...]
    run_date_json: bytes
    none_note: bytes  # why a customer has no choice

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection, offer_index: str, run_date: str, rows: int) -> PreparedSelections:
        """``offer_index``: a subquery of (offer_id, offer_index); ``rows``: the customers known."""
        published = con.sql("select 1 from information_schema.tables where table_name = 'offer_selections'")
        if not published.fetchall():
            return cls(
                offer=np.full(rows, -1, dtype=np.int32),
                policy=np.zeros(rows, dtype=np.int8),
                propensity=np.full(rows, np.nan),
                ranker_score=np.full(rows, np.nan),
                posterior_mean=np.full(rows, np.nan),
                policy_json=(),
                run_date_json=json_bytes(run_date),
                none_note=json_bytes(
                    "this snapshot predates the bandit's offer selections: run `metro-offers build` to publish them"
                ),
            )
        policies = [name for (name,) in con.sql("select distinct policy from offer_selections order by 1").fetchall()]
        chosen = con.sql(
            "select s.customer_id is not null as chosen, coalesce(o.offer_index, -1)::int32 as offer, "
            "coalesce(list_position($policies, s.policy) - 1, 0)::int8 as policy, "
            "coalesce(s.propensity, 'nan'::double) as propensity, "
            "coalesce(s.ranker_score, 'nan'::double) as ranker_score, "
            "coalesce(s.posterior_mean, 'nan'::double) as posterior_mean "
            "from customer_features c left join offer_selections s using (customer_id) "
            f"left join {offer_index} o using (offer_id) order by c.customer_id",
            params={"policies": policies},
        ).fetchnumpy()
        if len(chosen["offer"]) != rows:
            raise ValueError("the snapshot's offer selections hold more than one choice for a customer")
        if (chosen["chosen"] & (chosen["offer"] < 0)).any():
            raise ValueError("the snapshot's offer selections name offers its offers table lacks")
        return cls(
            offer=chosen["offer"],
            policy=chosen["policy"],
            propensity=chosen["propensity"],
            ranker_score=chosen["ranker_score"],
            posterior_mean=chosen["posterior_mean"],
            policy_json=tuple(json_bytes(policy) for policy in policies),
            run_date_json=json_bytes(run_date),
            none_note=json_bytes(f"no candidate offer for the customer on {run_date}, so the bandit chose none"),
        )


@dataclass(frozen=True)
class PreparedSnapshot:
    path: Path
    identity: tuple[int, int]  # (inode, mtime_ns) of the file it was loaded from
    info: dict
    loaded_at: str
    customer_ids: np.ndarray  # int64, sorted: every customer known on the run date
    list_offsets: np.ndarray  # int64, customers + 1: customer i's rows are list_offsets[i] up to list_offsets[i + 1]
    rec_offer: np.ndarray  # int32: index into offers, rows sorted by (customer, rank)
    rec_score: np.ndarray  # float64, NaN for a fallback row
    rec_source: np.ndarray  # int8: index into source_json
    rec_strategies: np.ndarray  # int16: index into strategy sets
    rec_bought_before: np.ndarray  # bool
    rec_affinity: np.ndarray  # float64: the customer's spend share in the offer's category
    offer_ids: np.ndarray  # int64, sorted, parallel to offers
    offers: tuple[PreparedOffer, ...]
    source_json: tuple[bytes, ...]
    fallback_source: int  # the code of the fallback source, -1 when no row has it
    strategies_json: tuple[bytes, ...]  # ["a","b"]
    strategies_reason: tuple[bytes, ...]  # "proposed by a, b"
    list_head: bytes  # "run_date":...,"model_version":...,
    empty_note: bytes
    fallback_note: bytes
    metrics_json: bytes
    selections: PreparedSelections

    @classmethod
    def load(cls, path: Path) -> PreparedSnapshot:
        stat = path.stat()
        # one DuckDB thread: a reload runs beside the requests and leaves them the other core(s)
        with duckdb.connect(str(path), read_only=True, config={"threads": 1}) as con:
            info = json.loads(con.sql("select info from snapshot_info").fetchall()[0][0])
            offers = con.sql("select * from offers order by offer_id").df()
            sources = con.sql("select distinct recommendation_source from recommendations order by 1").fetchall()
            sources = [source for (source,) in sources]
            strategy_sets = con.sql(
                "select distinct proposed_by from recommendations order by array_to_string(proposed_by, ',')"
            ).fetchall()
            # rows of customers known on the run date, each with its offer's index in `offers`; a
            # subquery read by the two queries below (materialising it copies every row's
            # strategy list: 8 s instead of 2.4 s at a million customers)
            offer_index = (
                "(select offer_id, (row_number() over (order by offer_id) - 1)::int32 as offer_index from offers)"
            )
            served = (
                "(select r.*, o.offer_index from recommendations r semi join customer_features using (customer_id) "
                f"left join {offer_index} o using (offer_id))"
            )
            customers = con.sql(
                "select c.customer_id, count(s.customer_id) as rows, count(s.customer_id) - count(s.offer_index) "
                f"as unknown_offers from customer_features c left join {served} s using (customer_id) "
                "group by all order by c.customer_id"
            ).fetchnumpy()
            if customers["unknown_offers"].sum():
                raise ValueError("the snapshot recommends offers its offers table lacks")
            # the rows' arrays computed in DuckDB in their final types, no Python object per row:
            # a million customers load in seconds, holding the GIL (delaying requests) only briefly
            recs = con.sql(
                "select offer_index, coalesce(score, 'nan'::double) as score, "
                "(list_position($sources, recommendation_source) - 1)::int8 as source_code, "
                "(list_position($sets, coalesce(array_to_string(proposed_by, ','), '')) - 1)::int16 as strategies, "
                "coalesce(bought_before, false) as bought_before, coalesce(category_affinity_score, 0) as affinity "
                f"from {served} order by customer_id, recommendation_rank",
                params={"sources": sources, "sets": [",".join(s[0] or []) for s in strategy_sets]},
            ).fetchnumpy()
            evaluation = con.sql("select * from offline_evaluation").df()
            drift = con.sql("select * from drift_log where run_date = (select max(run_date) from drift_log)").df()
            selections = PreparedSelections.load(con, offer_index, info["run_date"], len(customers["customer_id"]))

        offer_models = [Offer(**{k: v for k, v in row.items() if k in Offer.model_fields}) for row in _records(offers)]
        strategies = [list(s[0] or []) for s in strategy_sets]
        return cls(
            path=path,
            identity=(stat.st_ino, stat.st_mtime_ns),
            info=info,
            loaded_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            customer_ids=customers["customer_id"].astype(np.int64),
            list_offsets=np.concatenate([[0], np.cumsum(customers["rows"], dtype=np.int64)]),
            rec_offer=recs["offer_index"],
            rec_score=recs["score"],
            rec_source=recs["source_code"],
            rec_strategies=recs["strategies"],
            rec_bought_before=recs["bought_before"],
            rec_affinity=recs["affinity"],
            offer_ids=np.array([o.offer_id for o in offer_models], dtype=np.int64),
            offers=tuple(PreparedOffer.of(o) for o in offer_models),
            source_json=tuple(json_bytes(s) for s in sources),
            fallback_source=sources.index(FALLBACK_SOURCE) if FALLBACK_SOURCE in sources else -1,
            strategies_json=tuple(json_bytes(s) for s in strategies),
            strategies_reason=tuple(
                json_bytes("proposed by " + ", ".join(s.replace("_", " ") for s in names)) for names in strategies
            ),
            list_head=b'"run_date":%s,"model_version":%s,'
            % (json_bytes(info["run_date"]), json_bytes(info["model_version"])),
            empty_note=json_bytes(f"no offer is valid on {info['run_date']}, so there is nothing to recommend"),
            fallback_note=json_bytes(
                "the customer has redeemed every valid offer: the segment's most popular offers instead"
            ),
            metrics_json=_metrics(info, evaluation, drift).model_dump_json().encode(),
            selections=selections,
        )

    # ------------------------------------------------------------ lookups
    def unknown_customer(self, customer_id: int) -> str:
        return f"customer {customer_id} is not known as of {self.info['run_date']}"

    def recommendations_json(self, customer_id: int, k: int) -> bytes | None:
        """The customer's top k as a CustomerRecommendations JSON; None for a customer unknown
        on the run date."""
        i = _position(self.customer_ids, customer_id)
        if i is None:
            return None
        start = int(self.list_offsets[i])
        end = min(int(self.list_offsets[i + 1]), start + k)
        rows = slice(start, end)
        items = [
            self._item_json(rank, *row)
            for rank, row in enumerate(
                zip(
                    self.rec_offer[rows].tolist(),
                    self.rec_score[rows].tolist(),
                    self.rec_source[rows].tolist(),
                    self.rec_strategies[rows].tolist(),
                    self.rec_bought_before[rows].tolist(),
                    self.rec_affinity[rows].tolist(),
                    strict=True,
                ),
                start=1,
            )
        ]
        if not items:
            note = self.empty_note
        elif self.rec_source[start] == self.fallback_source:
            note = self.fallback_note
        else:
            note = b"null"
        return b'{"customer_id":%d,%s"recommendations":[%s],"note":%s}' % (
            customer_id,
            self.list_head,
            b",".join(items),
            note,
        )

    def _item_json(self, rank, offer_index, score, source, strategies, bought_before, affinity) -> bytes:
        offer = self.offers[offer_index]
        reasons = [offer.bought_before_reason] if bought_before else []
        if affinity >= 0.01:
            reasons.append(json_bytes(f"{affinity:.0%} of your spend is in {offer.category_name}"))
        reasons += [offer.discount_reason, self.strategies_reason[strategies]]
        return b'{"rank":%d,"offer_id":%d,"score":%s,"source":%s,"proposed_by":%s,"reasons":[%s],"offer":%s}' % (
            rank,
            offer.offer_id,
            json_number(score),
            self.source_json[source],
            self.strategies_json[strategies],
            b",".join(reasons),
            offer.json,
        )

    def batch_json(self, customer_ids: list[int], k: int) -> bytes:
        """A BatchResponse JSON: a result, or an error for an unknown customer, per id."""
        items = []
        for customer_id in customer_ids:
            result = self.recommendations_json(customer_id, k)
            if result is None:
                error = json_bytes(self.unknown_customer(customer_id))
                items.append(b'{"customer_id":%d,"status":"error","result":null,"error":%s}' % (customer_id, error))
            else:
                items.append(b'{"customer_id":%d,"status":"ok","result":%s,"error":null}' % (customer_id, result))
        return b'{"results":[%s]}' % b",".join(items)

    def selection_json(self, customer_id: int) -> bytes | None:
        """The customer's CustomerOfferSelection JSON; None for a customer unknown on the run date."""
        i = _position(self.customer_ids, customer_id)
        if i is None:
            return None
        chosen = self.selections
        head = b'{"customer_id":%d,"run_date":%s,' % (customer_id, chosen.run_date_json)
        if chosen.offer[i] < 0:
            return head + b'"selection":null,"note":%s}' % chosen.none_note
        offer = self.offers[chosen.offer[i]]
        return head + (
            b'"selection":{"offer_id":%d,"policy":%s,"propensity":%s,"ranker_score":%s,"posterior_mean":%s,'
            b'"offer":%s},"note":null}'
        ) % (
            offer.offer_id,
            chosen.policy_json[chosen.policy[i]],
            json_number(float(chosen.propensity[i])),
            json_number(float(chosen.ranker_score[i])),
            json_number(float(chosen.posterior_mean[i])),
            offer.json,
        )

    def offer_json(self, offer_id: int) -> bytes | None:
        i = _position(self.offer_ids, offer_id)
        return None if i is None else self.offers[i].json


def _metrics(info: dict, evaluation, drift) -> Metrics:
    return Metrics(
        model_version=info["model_version"],
        run_date=info["run_date"],
        evaluation_cutoff=evaluation.evaluation_cutoff.iloc[0] if len(evaluation) else None,
        offline_evaluation=[
            MetricRow(
                method=r["method"],
                subset=r["subset"],
                metric=r["metric"],
                value=r["metric_value"],
                ci_low=r["ci_low"],
                ci_high=r["ci_high"],
                customers=r["customers"],
            )
            for r in _records(evaluation)
        ],
        drift_run_date=drift.run_date.iloc[0] if len(drift) else None,
        retrain_recommended=bool(drift.retrain_recommended.any()) if len(drift) else None,
        drift=[DriftRow(feature=r["feature"], psi=r["psi"], severity=r["severity"]) for r in _records(drift)],
    )
