"""The serving API over the published snapshot: every endpoint and error path, the prepared
responses against the schema and a response built through the models, a fuzz run of the
OpenAPI schema, reloading a new snapshot, answering during a dbt build, workers."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import httpx
import pandas as pd
import psutil
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from metro_offers.api import MAX_BATCH, create_app
from metro_offers.api.app import _canonical_int
from metro_offers.api.prepared import PreparedSnapshot, json_number
from metro_offers.api.schema import (
    BatchResponse,
    CustomerOfferSelection,
    CustomerRecommendations,
    Metrics,
    Offer,
    OfferSelection,
    Recommendation,
)
from metro_offers.reference import project_root
from metro_offers.snapshot import SnapshotError, default_snapshot_path, publish, read_info

from conftest import CLI, CONFIG, query

sys.path.insert(0, str(project_root() / "bench"))
from serving_snapshot import scaled_snapshot  # noqa: E402 - bench/ is not a package

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def snapshot(built) -> Path:
    _, warehouse, _, _ = built
    path = default_snapshot_path(warehouse)
    assert path.exists(), "metro-offers build publishes the snapshot"
    return path


@pytest.fixture(scope="module")
def client(snapshot):
    with TestClient(create_app(snapshot)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def known(built) -> tuple[int, pd.DataFrame]:
    """A customer with recommendations, and that list as the warehouse has it."""
    _, warehouse, _, _ = built
    recs = query(warehouse, "select * from marts.recommendations order by customer_id, recommendation_rank")
    customer = int(recs.customer_id.iloc[0])
    return customer, recs[recs.customer_id == customer]


def test_health_reports_the_snapshot(client, built):
    _, warehouse, manifest, _ = built
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["run_date"] == manifest["default_run_date"]
    live = query(warehouse, "select model_version from marts.model_registry where is_live").model_version[0]
    assert body["model_version"] == live
    assert body["row_counts"]["recommendations"] == len(query(warehouse, "select * from marts.recommendations"))
    assert 0 <= body["snapshot_age_seconds"] < 3600


def test_recommendations_are_the_warehouse_ranking(client, known):
    customer, expected = known
    body = client.get(f"/recommendations/{customer}").json()
    items = body["recommendations"]
    assert [i["offer_id"] for i in items] == expected.offer_id.tolist()
    assert [i["rank"] for i in items] == list(range(1, len(items) + 1))
    assert [i["score"] for i in items] == pytest.approx(expected.score.tolist())
    assert all(i["source"] == "ranker" and i["proposed_by"] and i["reasons"] for i in items)
    assert items[0]["offer"]["offer_id"] == items[0]["offer_id"] and items[0]["offer"]["valid_on_run_date"]
    top3 = client.get(f"/recommendations/{customer}", params={"k": 3}).json()["recommendations"]
    assert [i["offer_id"] for i in top3] == expected.offer_id.tolist()[:3]


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/recommendations/999999999", 404, "customer 999999999 is not known"),
        ("/recommendations/0", 422, "greater than 0"),
        ("/recommendations/-5", 422, "greater than 0"),
        ("/recommendations/abc", 422, "valid integer"),
        (f"/recommendations/{2**70}", 422, "less than or equal"),
        ("/recommendations/1?k=0", 422, "greater than or equal to 1"),
        ("/recommendations/1?k=11", 422, "less than or equal to 10"),
        ("/recommendations/1?k=two", 422, "valid integer"),
        ("/offers/999999", 404, "offer 999999 is not known"),
        ("/offer-selections/999999999", 404, "customer 999999999 is not known"),
        ("/offer-selections/0", 422, "greater than 0"),
        ("/offers/0", 422, "greater than 0"),
    ],
)
def test_bad_requests_get_clear_errors(client, path, status, message):
    response = client.get(path)
    assert response.status_code == status
    assert message in response.text


def _rows(frame: pd.DataFrame) -> list[dict]:
    """A frame's rows as dicts, missing values as None (as the models take them)."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _offers_through_the_model(con) -> dict[int, Offer]:
    """The snapshot's offers as Offer models, by offer id."""
    offers = con.sql("select * from offers").df()
    fields = Offer.model_fields
    return {row["offer_id"]: Offer(**{k: v for k, v in row.items() if k in fields}) for row in _rows(offers)}


def _lists_through_the_models(snapshot: Path, k: int) -> dict[int, CustomerRecommendations]:
    """Every customer's top k built through the response models from the snapshot's tables,
    with the reasons written out as the API documents them: what the prepared bytes must say."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        info = json.loads(con.sql("select info from snapshot_info").fetchall()[0][0])
        customers = [r[0] for r in con.sql("select customer_id from customer_features").fetchall()]
        recs = con.sql("select * from recommendations order by customer_id, recommendation_rank").df()
        offer_by_id = _offers_through_the_model(con)
    lists = {c: [] for c in customers}
    for row in _rows(recs):
        if row["customer_id"] not in lists or len(lists[row["customer_id"]]) == k:
            continue
        offer = offer_by_id[row["offer_id"]]
        reasons = []
        if row["bought_before"]:
            reasons.append(
                f"you bought {'this product' if offer.offer_level == 'product' else offer.category_name} before"
            )
        if (row["category_affinity_score"] or 0) >= 0.01:
            reasons.append(f"{row['category_affinity_score']:.0%} of your spend is in {offer.category_name}")
        reasons.append(f"{offer.discount_pct:.0%} off")
        reasons.append("proposed by " + ", ".join(s.replace("_", " ") for s in row["proposed_by"]))
        lists[row["customer_id"]].append(
            Recommendation(
                rank=len(lists[row["customer_id"]]) + 1,
                offer_id=row["offer_id"],
                score=row["score"],
                source=row["recommendation_source"],
                proposed_by=list(row["proposed_by"]),
                reasons=reasons,
                offer=offer,
            )
        )

    def note(items):
        if not items:
            return f"no offer is valid on {info['run_date']}, so there is nothing to recommend"
        if items[0].source == "segment_popularity_fallback":
            return "the customer has redeemed every valid offer: the segment's most popular offers instead"
        return None

    return {
        c: CustomerRecommendations(
            customer_id=c,
            run_date=info["run_date"],
            model_version=info["model_version"],
            recommendations=items,
            note=note(items),
        )
        for c, items in lists.items()
    }


def test_every_prepared_response_is_the_models_response_byte_for_byte(client, snapshot):
    """Each customer's prepared list (k = 10 and k = 3) validates strictly against the
    response model and equals, byte for byte, the JSON of the list built through the models."""
    loaded = client.app.state.store.current
    for k in (10, 3):
        expected = _lists_through_the_models(snapshot, k)
        assert len(expected) == len(loaded.customer_ids) > 0
        for customer, model in expected.items():
            prepared = loaded.recommendations_json(customer, k)
            assert CustomerRecommendations.model_validate_json(prepared, strict=True) == model
            assert prepared == model.model_dump_json().encode(), customer
    sample = next(iter(expected))
    assert client.get(f"/recommendations/{sample}?k=3").content == expected[sample].model_dump_json().encode()
    batch = client.post("/recommendations/batch", json={"customer_ids": [sample, 999999999], "k": 3})
    assert BatchResponse.model_validate_json(batch.content, strict=True).results[0].result == expected[sample]
    Metrics.model_validate_json(client.get("/metrics").content, strict=True)
    for offer_id in loaded.offer_ids.tolist():
        Offer.model_validate_json(client.get(f"/offers/{offer_id}").content, strict=True)


def _selections_through_the_models(snapshot: Path) -> dict[int, CustomerOfferSelection]:
    """Every known customer's bandit choice built through the response models from the
    snapshot's offer_selections: what the prepared bytes must say."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        run_date = json.loads(con.sql("select info from snapshot_info").fetchall()[0][0])["run_date"]
        customers = [r[0] for r in con.sql("select customer_id from customer_features").fetchall()]
        chosen = con.sql("select * from offer_selections").df()
        offer_by_id = _offers_through_the_model(con)
    selections = {
        row["customer_id"]: OfferSelection(
            offer_id=row["offer_id"],
            policy=row["policy"],
            propensity=row["propensity"],
            ranker_score=row["ranker_score"],
            posterior_mean=row["posterior_mean"],
            offer=offer_by_id[row["offer_id"]],
        )
        for row in _rows(chosen)
    }
    note = f"no candidate offer for the customer on {run_date}, so the bandit chose none"
    return {
        c: CustomerOfferSelection(
            customer_id=c,
            run_date=run_date,
            selection=selections.get(c),
            note=None if c in selections else note,
        )
        for c in customers
    }


def test_offer_selections_are_the_bandits_choice_byte_for_byte(snapshot, built, tmp_path):
    """Each customer's prepared selection validates strictly and equals the JSON built
    through the models from offer_selections; a customer the bandit chose nothing for, and a
    snapshot published before the bandit, get no selection and a note saying why."""
    _, warehouse, _, _ = built
    marts = query(warehouse, "select customer_id, offer_id, propensity from marts.offer_selections")
    assert len(marts) > 0 and marts.propensity.between(0, 1, inclusive="right").all()
    copy = tmp_path / "selections.duckdb"
    shutil.copy(snapshot, copy)
    without = int(marts.customer_id.iloc[0])
    with duckdb.connect(str(copy)) as con:
        con.execute("delete from offer_selections where customer_id = ?", [without])
    expected = _selections_through_the_models(copy)
    assert expected[without].selection is None and "chose none" in expected[without].note
    chosen = {c for c, e in expected.items() if e.selection is not None}
    assert chosen == set(marts.customer_id) - {without}
    with TestClient(create_app(copy)) as client:
        loaded = client.app.state.store.current
        for customer, model in expected.items():
            prepared = loaded.selection_json(customer)
            assert CustomerOfferSelection.model_validate_json(prepared, strict=True) == model
            assert prepared == model.model_dump_json().encode(), customer
        other = int(marts.customer_id.iloc[1])
        body = client.get(f"/offer-selections/{other}").json()
        assert body["selection"]["offer_id"] == int(marts.offer_id.iloc[1]) == body["selection"]["offer"]["offer_id"]
        assert body["selection"]["propensity"] == pytest.approx(marts.propensity.iloc[1])
    with duckdb.connect(str(copy)) as con:
        con.execute("insert into offer_selections select * from offer_selections where customer_id = ?", [other])
    with pytest.raises(ValueError, match="more than one choice for a customer"):
        PreparedSnapshot.load(copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("drop table offer_selections")
    with TestClient(create_app(copy)) as client:
        body = client.get(f"/offer-selections/{other}").json()
    assert body["selection"] is None and "predates the bandit's offer selections" in body["note"]


def test_prepared_numbers_are_written_as_the_models_write_them():
    """Scores in every decimal range, written by hand as pydantic writes them (Python's repr
    differs below 1e-4 and in the exponent's form: a CI run failed on a score of 8.9e-05)."""
    written = {
        8.913597219068579e-05: b"0.00008913597219068579",
        9e-06: b"9e-6",
        1.5e-07: b"1.5e-7",
        0.25: b"0.25",
        123.0: b"123.0",
        float("nan"): b"null",
    }
    for value, expected in written.items():
        assert json_number(value) == expected, value
        item = Recommendation.model_construct(score=None if math.isnan(value) else value)
        assert item.model_dump_json(include={"score"}).encode() == b'{"score":%s}' % expected


def test_only_canonical_ids_take_the_prepared_path():
    """What the fast path answers itself; everything else is FastAPI's to judge."""
    high = 2**53 - 1
    assert [_canonical_int(text, high) for text in ("1", "1234", str(high))] == [1, 1234, high]
    for text in ("", "0", "007", "-5", "+5", "1.0", "1e3", "²", "٣", " 1", str(high + 1), "9" * 40):
        assert _canonical_int(text, high) is None, text
    assert _canonical_int("10", 10) == 10 and _canonical_int("11", 10) is None


def test_the_prepared_path_and_fastapi_answer_alike(client, known):
    """The same requests written canonically (answered from prepared bytes) and not (routed
    through FastAPI: a leading zero) get the same status, type and body."""
    customer, _ = known
    offer_id = int(client.app.state.store.current.offer_ids[0])
    for fast, routed in (
        (f"/recommendations/{customer}", f"/recommendations/0{customer}"),
        (f"/recommendations/{customer}?k=3", f"/recommendations/{customer}?k=03"),
        (f"/offers/{offer_id}", f"/offers/0{offer_id}"),
        (f"/offer-selections/{customer}", f"/offer-selections/0{customer}"),
    ):
        a, b = client.get(fast), client.get(routed)
        assert a.status_code == b.status_code == 200 and a.content == b.content
        assert a.headers["content-type"] == b.headers["content-type"] == "application/json"


def test_batch_answers_per_id(client, known):
    customer, expected = known
    body = client.post("/recommendations/batch", json={"customer_ids": [customer, 999999999], "k": 2}).json()
    ok, unknown = body["results"]
    assert (
        ok["status"] == "ok"
        and [i["offer_id"] for i in ok["result"]["recommendations"]] == (expected.offer_id.tolist()[:2])
    )
    assert unknown == {"customer_id": 999999999, "status": "error", "result": None, "error": unknown["error"]}
    assert "not known" in unknown["error"]
    for bad in (
        {"customer_ids": list(range(1, MAX_BATCH + 2))},
        {"customer_ids": []},
        {"customer_ids": [1], "k": 11},
        {"customer_ids": [0]},
        {"customer_ids": "1,2"},
        {},
    ):
        assert client.post("/recommendations/batch", json=bad).status_code == 422, bad


def test_metrics_and_offers(client, built):
    _, warehouse, _, _ = built
    body = client.get("/metrics").json()
    rows = {(r["method"], r["subset"], r["metric"]): r for r in body["offline_evaluation"]}
    assert ("lightgbm", "all", "ndcg") in rows and ("oracle", "all", "ndcg") in rows
    expected = query(warehouse, "select count(*) as n from marts.offline_evaluation").n[0]
    assert len(rows) == expected
    assert body["drift"] == [] and body["drift_run_date"] is None  # one build: nothing to compare yet
    offer_id = int(query(warehouse, "select offer_id from marts.offer_features limit 1").offer_id[0])
    offer = client.get(f"/offers/{offer_id}").json()
    assert offer["offer_id"] == offer_id and offer["valid_on_run_date"]


def test_metrics_serve_the_drift_of_the_latest_build(drift_builds):
    """A warehouse built twice: /metrics carries the drift log of the second build's date."""
    warehouse, later, states = drift_builds
    log = states["later"]["drift_log"]
    with TestClient(create_app(default_snapshot_path(warehouse))) as client:
        body = client.get("/metrics").json()
    assert body["drift_run_date"] == str(later) and body["retrain_recommended"] is True
    served = pd.DataFrame(body["drift"]).sort_values("feature", ignore_index=True)
    assert served.columns.tolist() == ["feature", "psi", "severity"]
    pd.testing.assert_frame_equal(served, log[["feature", "psi", "severity"]], check_dtype=False)


def test_no_snapshot_yet_answers_503(tmp_path):
    with TestClient(create_app(tmp_path / "missing.duckdb")) as missing:
        for path in ("/health", "/recommendations/1", "/metrics", "/offers/1", "/offer-selections/1"):
            response = missing.get(path)
            assert response.status_code == 503 and "metro-offers build" in response.json()["detail"]
        response = missing.post("/recommendations/batch", json={"customer_ids": [1]})
        assert response.status_code == 503 and "metro-offers build" in response.json()["detail"]


def test_a_fallback_list_has_no_score_and_says_why(snapshot, known, tmp_path):
    customer, _ = known
    copy = tmp_path / "fallback.duckdb"
    shutil.copy(snapshot, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "update recommendations set score = null, recommendation_source = 'segment_popularity_fallback' "
            "where customer_id = ?",
            [customer],
        )
    with TestClient(create_app(copy)) as fallback:
        body = fallback.get(f"/recommendations/{customer}").json()
    assert all(i["score"] is None and i["source"] == "segment_popularity_fallback" for i in body["recommendations"])
    assert "redeemed every valid offer" in body["note"]


def test_a_newly_published_snapshot_is_served_without_restart(built, snapshot, tmp_path):
    _, warehouse, manifest, _ = built
    served = tmp_path / "served.duckdb"
    shutil.copy(snapshot, served)
    with TestClient(create_app(served, poll_seconds=0.1)) as watching:
        first = watching.get("/health").json()
        time.sleep(1.1)  # the file's mtime must differ from the first one's
        info = publish(warehouse, served, echo=lambda _: None)
        deadline = time.monotonic() + 10
        while watching.get("/health").json()["published_at"] != info["published_at"]:
            assert time.monotonic() < deadline, "the new snapshot was not picked up"
            time.sleep(0.1)
    assert first["published_at"] != info["published_at"]


def test_publish_refuses_a_warehouse_without_serving_tables(tmp_path):
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    target = tmp_path / "snapshot.duckdb"
    with pytest.raises(SnapshotError, match="lacks what serving needs"):
        publish(empty, target, echo=lambda _: None)
    assert not target.exists() and list(tmp_path.iterdir()) == [empty]


# ---------------------------------------------------------------- fuzzing the OpenAPI schema
def test_fuzzed_requests_never_get_a_server_error(snapshot):
    """Schemathesis generates requests from the OpenAPI schema (valid and invalid ones) for
    every operation; each response must be documented, match its schema and never be a 5xx.
    (Driven through Hypothesis directly: schemathesis' pytest plugin does not run under this
    pytest.)"""
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(snapshot))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {
        "GET /health",
        "POST /recommendations/batch",
        "GET /metrics",
        "GET /offer-selections/{customer_id}",
    }
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def check(case):
            case.call_and_validate()

        check()


# ---------------------------------------------------------------- serving during a build
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline and server.poll() is None, "the API did not start"
        time.sleep(0.2)


def test_the_api_keeps_answering_during_a_build_and_then_serves_the_new_snapshot(built, known, tmp_path):
    data, warehouse, manifest, _ = built
    customer, _ = known
    copy = tmp_path / "live.duckdb"
    shutil.copy(warehouse, copy)
    shutil.copytree(warehouse.with_suffix(".models"), copy.with_suffix(".models"))
    shutil.copy(default_snapshot_path(warehouse), default_snapshot_path(copy))
    env = {**os.environ, "METRO_WAREHOUSE": str(copy), "METRO_MODEL_STORE": str(copy.with_suffix(".models"))}
    port = _free_port()
    server = subprocess.Popen(
        [CLI, "serve", "--port", str(port)], env=env, cwd=project_root(), stdout=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"
    failures, answered, stop = [], [], threading.Event()

    def keep_calling():
        with httpx.Client(base_url=base, timeout=5) as http:
            while not stop.is_set():
                for path in (f"/recommendations/{customer}", "/health"):
                    try:
                        response = http.get(path)
                        (answered if response.status_code == 200 else failures).append(response.status_code)
                    except httpx.HTTPError as error:
                        failures.append(repr(error))

    try:
        _wait_until_up(base, server)
        caller = threading.Thread(target=keep_calling)
        caller.start()
        new_date = str(CONFIG.end_date - dt.timedelta(days=7))
        build = subprocess.run(
            [CLI, "build", "--data-dir", str(data), "--run-date", new_date, "--skip-validation"],
            env=env,
            cwd=project_root(),
            capture_output=True,
            text=True,
        )
        assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
        assert read_info(default_snapshot_path(copy))["run_date"] == new_date
        deadline = time.monotonic() + 10
        while httpx.get(f"{base}/health").json()["run_date"] != new_date:
            assert time.monotonic() < deadline, "the new snapshot was not served"
            time.sleep(0.2)
        stop.set()
        caller.join()
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=10)
    assert failures == []
    assert len(answered) > 100
    assert manifest["default_run_date"] != new_date


def test_workers_swap_the_snapshot_without_a_failed_request_and_die_with_the_server(built, snapshot, tmp_path):
    """`serve --workers 2`: clients on kept-alive and on fresh connections (spread over both
    workers) while a new snapshot is published; none fails, and afterwards every worker serves
    the new one. Killing the server outright (SIGKILL) takes its workers with it: the port is free."""
    _, warehouse, _, _ = built
    served = tmp_path / "served.duckdb"
    shutil.copy(snapshot, served)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [CLI, "serve", "--port", str(port), "--workers", "2", "--snapshot", str(served)],
        cwd=project_root(),
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    failures, answered, stop = [], [], threading.Event()

    def keep_calling(fresh_connections: bool):
        with httpx.Client(base_url=base, timeout=5) as http:
            while not stop.is_set():
                try:
                    response = httpx.get(f"{base}/health", timeout=5) if fresh_connections else http.get("/health")
                    (answered if response.status_code == 200 else failures).append(response.status_code)
                except httpx.HTTPError as error:
                    failures.append(repr(error))

    callers = [threading.Thread(target=keep_calling, args=(fresh,)) for fresh in (True, True, False, False)]
    try:
        _wait_until_up(base, server)
        workers = psutil.Process(server.pid).children(recursive=True)
        for caller in callers:
            caller.start()
        time.sleep(1.1)  # the new file's mtime must differ
        info = publish(warehouse, served, echo=lambda _: None)
        deadline, streak = time.monotonic() + 30, 0
        while streak < 40:  # 40 fresh connections in a row answered by the new snapshot
            assert time.monotonic() < deadline, "a worker did not pick up the new snapshot"
            new = httpx.get(f"{base}/health", timeout=5).json()["published_at"] == info["published_at"]
            streak = streak + 1 if new else 0
        stop.set()
        for caller in callers:
            caller.join()
        assert failures == [] and len(answered) > 100

        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        _, alive = psutil.wait_procs(workers, timeout=20)
        assert alive == [], f"workers outlived the killed server: {alive}"
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))  # nothing holds the port any more
    finally:
        stop.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def test_a_scaled_snapshot_serves_the_same_lists_under_new_ids(snapshot, known, tmp_path):
    """bench/serving_snapshot.py, which makes the million-customer snapshot of the load
    benchmark: copy r of customer c is customer c + r x max id, with c's list and bandit choice."""
    customer, _ = known
    with duckdb.connect(str(snapshot), read_only=True) as con:
        count, stride = con.sql("select count(*), max(customer_id) from customer_features").fetchall()[0]
    scaled = tmp_path / "scaled.duckdb"
    info = scaled_snapshot(snapshot, scaled, 2 * count + 7)
    assert info["row_counts"]["customer_features"] == 2 * count + 7
    with TestClient(create_app(scaled)) as client:
        original = client.get(f"/recommendations/{customer}").json()
        chosen = client.get(f"/offer-selections/{customer}").json()
        assert chosen["selection"] is not None
        for copy in (1, 2):
            for path, body in (("recommendations", original), ("offer-selections", chosen)):
                assert client.get(f"/{path}/{customer + copy * stride}").json() == {
                    **body,
                    "customer_id": customer + copy * stride,
                }
        assert client.get(f"/recommendations/{stride * 3 + 1}").status_code == 404
