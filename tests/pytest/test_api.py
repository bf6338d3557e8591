"""The serving API over the published snapshot: every endpoint and error path, a fuzz run
of its OpenAPI schema, reloading a new snapshot, and answering during a dbt build."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import duckdb
import httpx
import pandas as pd
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from metro_offers.api import MAX_BATCH, create_app
from metro_offers.reference import project_root
from metro_offers.snapshot import SnapshotError, default_snapshot_path, publish, read_info

from conftest import CLI, CONFIG, query

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
        ("/offers/0", 422, "greater than 0"),
    ],
)
def test_bad_requests_get_clear_errors(client, path, status, message):
    response = client.get(path)
    assert response.status_code == status
    assert message in response.text


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
        for path in ("/health", "/recommendations/1", "/metrics", "/offers/1"):
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
    assert {op.label for op in operations} >= {"GET /health", "POST /recommendations/batch", "GET /metrics"}
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
        deadline = time.monotonic() + 30
        while True:  # wait for the server to come up
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the API did not start"
            time.sleep(0.2)
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
