"""The study schedule (metro_offers.studies) and the warehouse comparison
(metro_offers.warehouse_diff), by hand."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from metro_offers.studies import scheduled, stored_result, study_key, study_period
from metro_offers.warehouse_diff import COLUMNS_DIFFER, IDENTICAL, NEAR_EQUAL, ONE_SIDED, compare_warehouses


@pytest.mark.parametrize(
    ("run_date", "every_days", "period"),
    [
        ("2026-11-01", 7, "2026-10-26"),  # a Sunday: the week's Monday (the grid starts on Monday 1970-01-05)
        ("2026-11-02", 7, "2026-11-02"),  # a Monday starts its own period
        ("2026-11-08", 7, "2026-11-02"),
        ("2026-11-01", 1, "2026-11-01"),  # every build its own period
        ("1970-01-19", 14, "1970-01-19"),  # 14 days after the grid's start
        ("1970-01-18", 14, "1970-01-05"),
    ],
)
def test_the_study_period_is_the_latest_grid_date_at_or_before_the_run_date(run_date, every_days, period):
    assert study_period(run_date, every_days) == period
    assert study_period(dt.date.fromisoformat(run_date), str(every_days)) == period


def test_a_study_is_computed_once_per_key_and_reused_within_its_period(tmp_path):
    calls = []

    def compute(value):
        def run():
            calls.append(value)
            return {"metrics": pd.DataFrame({"metric": ["ndcg"], "value": [value]}), "curves": pd.DataFrame({"x": [1]})}

        return run

    monday = study_key({"run_date": "2026-11-02", "study_every_days": "7"}, model_version="v1", settings={"k": 10})
    wednesday = study_key({"run_date": "2026-11-04", "study_every_days": "7"}, model_version="v1", settings={"k": 10})
    assert monday == wednesday == {"study_period": "2026-11-02", "model_version": "v1", "settings": {"k": 10}}
    first = scheduled(tmp_path, "evaluation", monday, compute(0.5), echo=lambda _: None)
    lines = []
    again = scheduled(tmp_path, "evaluation", wednesday, compute(0.9), echo=lines.append)
    assert calls == [0.5]  # the second build of the period reused the first's result
    assert "reusing" in lines[0]
    pd.testing.assert_frame_equal(again["metrics"], first["metrics"])
    assert list(again) == ["metrics", "curves"]
    # a new model version, new settings or the next period compute again, replacing the result
    for key in (
        {**monday, "model_version": "v2"},
        {**monday, "settings": {"k": 5}},
        study_key({"run_date": "2026-11-09", "study_every_days": "7"}, model_version="v1", settings={"k": 10}),
    ):
        scheduled(tmp_path, "evaluation", key, compute(len(calls)), echo=lambda _: None)
        assert stored_result(tmp_path, "evaluation", key)["metrics"].value[0] == len(calls) - 1
    assert calls == [0.5, 1, 2, 3]
    assert stored_result(tmp_path, "evaluation", monday) is None  # only the latest is kept


def test_a_study_that_fails_leaves_the_previous_result(tmp_path):
    key = {"study_period": "2026-11-02"}
    scheduled(tmp_path, "study", key, lambda: {"rows": pd.DataFrame({"a": [1]})}, echo=lambda _: None)

    def broken():
        raise RuntimeError("the harness failed")

    with pytest.raises(RuntimeError):
        scheduled(tmp_path, "study", {"study_period": "2026-11-09"}, broken, echo=lambda _: None)
    assert stored_result(tmp_path, "study", key)["rows"].a.tolist() == [1]


def test_warehouses_are_compared_table_by_table(tmp_path):
    first, second = tmp_path / "first.duckdb", tmp_path / "second.duckdb"
    for path, noise in ((first, 0.0), (second, 1e-12)):
        with duckdb.connect(str(path)) as con:
            con.execute("create schema marts")
            con.execute("create schema ops")
            con.execute("create table marts.same as select * from (values (1, 'a'), (2, 'b')) as t(id, name)")
            con.execute(
                f"create table marts.noisy as select 1 as id, (0.1 + {noise})::double as score, "
                f"(12345.678 + {noise} * 1e4)::double as big"
            )
            con.execute(f"create table marts.changed as select {1 if noise else 2} as id, 1.5 as score")
            # 413.7634375 (cents summed over 32 orders) sits on a rounding half at 9 digits: its
            # neighbour one bit away rounds the other way, yet the two are equal within 1e-9
            half = "413.7634375::double" if not noise else "nextafter(413.7634375::double, 500::double)"
            con.execute(f"create table marts.on_a_half as select 7 as customer_id, {half} as avg_basket_value")
            # no key (every column a double): compared rounded to 9 significant digits
            con.execute(
                f"create table marts.unkeyed as select (0.25 + {noise})::double as share, 2.0::double as weight"
            )
            # the same values typed differently (exact money in one, a double in the other)
            money = "double" if noise else "decimal(18, 4)"
            con.execute(f"create table marts.retyped as select 1 as id, 2.5::{money} as x")
            con.execute(f"create table ops.pipeline_runs as select {noise} as seconds")  # skipped by design
        if noise:
            with duckdb.connect(str(path)) as con:
                con.execute("create table marts.extra as select 1 as id")
    verdicts = compare_warehouses(first, second)
    assert verdicts == {
        "marts.changed": "differ: 2 of 1 rows",
        "marts.extra": ONE_SIDED,
        "marts.noisy": NEAR_EQUAL,
        "marts.on_a_half": NEAR_EQUAL,
        "marts.retyped": COLUMNS_DIFFER,
        "marts.same": IDENTICAL,
        "marts.unkeyed": NEAR_EQUAL,
    }
    # a difference of 1e-6 relative is one at a tolerance of 1e-9, not at 1e-5; a row of a key
    # the other warehouse lacks counts once
    with duckdb.connect(str(second)) as con:
        con.execute("update marts.noisy set score = 0.1000001")
        con.execute("update marts.unkeyed set share = 0.2500001")
        con.execute("insert into marts.on_a_half values (8, 1.0)")
    verdicts = compare_warehouses(first, second)
    assert verdicts["marts.noisy"] == verdicts["marts.unkeyed"] == "differ: 2 of 1 rows"
    assert verdicts["marts.on_a_half"] == "differ: 1 of 1 rows"
    assert compare_warehouses(first, second, tolerance=1e-5)["marts.noisy"] == NEAR_EQUAL
