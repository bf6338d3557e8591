"""The landing-zone suite: passes a clean landing, tolerates a few bad rows (staging
quarantines them), fails a broken one with table, column, rule and example rows."""

from __future__ import annotations

import shutil

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from metro_offers import landing_validation
from metro_offers.generator import GeneratorConfig, generate
from metro_offers.landing_validation import LandingValidationError, ensure_valid, validate_landing_zone


@pytest.fixture(scope="module")
def clean_landing(tmp_path_factory):
    out = tmp_path_factory.mktemp("landing")
    generate(GeneratorConfig(customers=400, products=300, offers=30, days=60), out, echo=lambda _: None)
    return out / "raw"


@pytest.fixture
def landing(clean_landing, tmp_path):
    copy = tmp_path / "raw"
    shutil.copytree(clean_landing, copy)
    return copy


def _rewrite(raw, table, change):
    [path] = (raw / table).glob("*.parquet")
    pq.write_table(change(pq.read_table(path)), path)


def test_clean_landing_passes(clean_landing):
    report = ensure_valid(clean_landing, echo=lambda _: None)
    assert report.success
    assert set(report.row_counts) == {
        "customers",
        "products",
        "offers",
        "offer_products",
        "orders",
        "order_items",
        "impressions",
        "redemptions",
    }
    assert report.checks_run > 50


def test_missing_column_names_table_and_column(landing):
    _rewrite(landing, "orders", lambda t: t.drop_columns(["store_id"]))
    with pytest.raises(LandingValidationError) as error:
        ensure_valid(landing, echo=lambda _: None)
    message = str(error.value)
    assert "orders.store_id: column_present" in message


def test_wrong_type_is_a_contract_breach(landing):
    _rewrite(
        landing,
        "products",
        lambda t: t.set_column(
            t.schema.get_field_index("base_price"), "base_price", pc.cast(t["base_price"], pa.string())
        ),
    )
    report = validate_landing_zone(landing, echo=lambda _: None)
    [finding] = report.findings
    assert (finding.table, finding.column, finding.rule) == ("products", "base_price", "column_type")
    assert "VARCHAR" in finding.detail and "DOUBLE" in finding.detail


def test_missing_table_is_reported(landing):
    shutil.rmtree(landing / "redemptions")
    report = validate_landing_zone(landing, echo=lambda _: None)
    assert [(f.table, f.rule) for f in report.findings] == [("redemptions", "table_present")]


def _negate_quantities(share):
    def change(table):
        quantity = table["quantity"].to_numpy().copy()
        n_bad = int(len(quantity) * share)
        quantity[:n_bad] = -quantity[:n_bad]
        return table.set_column(table.schema.get_field_index("quantity"), "quantity", pa.array(quantity, pa.int32()))

    return change


def test_a_few_bad_rows_are_left_to_staging(landing):
    _rewrite(landing, "order_items", _negate_quantities(0.002))
    assert validate_landing_zone(landing, max_bad_share=0.01, echo=lambda _: None).success


def test_many_bad_rows_fail_with_examples(landing):
    _rewrite(landing, "order_items", _negate_quantities(0.05))
    report = validate_landing_zone(landing, max_bad_share=0.01, echo=lambda _: None)
    [finding] = report.findings
    assert (finding.table, finding.column) == ("order_items", "quantity")
    assert "expect_column_values_to_be_between" in finding.rule
    assert "rows break it" in finding.detail
    # example rows carry the primary key and the bad value
    assert finding.examples and {"order_id", "line_number", "quantity"} <= set(finding.examples[0])
    assert finding.examples[0]["quantity"] < 0
    assert "order_items.quantity" in report.render()


def test_only_new_files_are_checked_once_validated(landing):
    ensure_valid(landing, echo=lambda _: None)
    again = validate_landing_zone(landing, echo=lambda _: None)
    assert again.success and not any(again.files_checked.values())
    assert again.row_counts["order_items"] > 0  # counts still cover every file
    # a new batch with 5% negative quantities: only it is checked, and it fails
    [history] = (landing / "order_items").glob("*.parquet")
    day = pq.read_table(history).slice(0, 400)
    pq.write_table(_negate_quantities(0.05)(day), landing / "order_items" / "landed_2099-01-01_day.parquet")
    report = validate_landing_zone(landing, echo=lambda _: None)
    assert report.files_checked["order_items"] == ["order_items/landed_2099-01-01_day.parquet"]
    assert [(f.table, f.column) for f in report.findings] == [("order_items", "quantity")]


def test_new_files_are_judged_in_groups_of_bounded_rows(landing, monkeypatch):
    """Files are read together in landing order up to VALIDATION_BATCH_ROWS rows: a small
    correction file with one bad row in three is judged with the history landed before it
    (passes), and the same file alone in its group is a broken landing (fails)."""
    (landing / landing_validation.VALIDATED_FILES).unlink(missing_ok=True)  # every file new
    [history] = (landing / "order_items").glob("*.parquet")
    lines = pq.read_table(history).num_rows
    correction = pq.read_table(history).slice(0, 3)
    quantity = correction.column("quantity").to_pylist()
    correction = correction.set_column(
        correction.schema.get_field_index("quantity"), "quantity", pa.array([-quantity[0], *quantity[1:]], pa.int32())
    )
    pq.write_table(correction, landing / "order_items" / "landed_2099-01-01_fix.parquet")
    assert validate_landing_zone(landing, echo=lambda _: None).success
    monkeypatch.setattr(landing_validation, "VALIDATION_BATCH_ROWS", lines)  # the history fills a group
    files = sorted((landing / "order_items").glob("*.parquet"))
    assert [[f.name for f in group] for group in landing_validation._file_groups(files)] == [
        [history.name],
        ["landed_2099-01-01_fix.parquet"],
    ]
    report = validate_landing_zone(landing, echo=lambda _: None)
    assert [(f.table, f.column) for f in report.findings] == [("order_items", "quantity")]
    assert "1 of 3 rows break it in landed_2099-01-01_fix.parquet" in report.findings[0].detail
