"""Invariants of the synthetic data set (the ones the legacy generator broke first)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from metro_offers.generator import TRUTH_WINDOW_DAYS, GeneratorConfig, Run, append_day, generate
from metro_offers.generator.ids import impression_ids, order_ids
from metro_offers.raw_contract import PRIMARY_KEYS, RAW_TABLES, arrow_schema
from metro_offers.reference import load_reference

from conftest import read_tables


def test_raw_contract_schemas_and_primary_keys(year_dataset, tmp_path):
    config, _, tables = year_dataset
    out = tmp_path / "contract"
    generate(GeneratorConfig(customers=300, products=200, offers=20, days=60), out, echo=lambda _: None)
    for name in RAW_TABLES:
        files = list((out / "raw" / name).glob("*.parquet"))
        assert len(files) == 1, name
        assert pq.read_schema(files[0]).remove_metadata() == arrow_schema(name), name
    for name, key in PRIMARY_KEYS.items():
        assert not tables[name].duplicated(list(key)).any(), f"duplicate {key} in {name}"
        assert tables[name][list(key)].notna().all().all(), f"null key in {name}"


def test_foreign_keys_hold(year_dataset):
    _, _, t = year_dataset
    assert t["orders"].customer_id.isin(t["customers"].customer_id).all()
    assert t["order_items"].order_id.isin(t["orders"].order_id).all()
    assert t["order_items"].product_id.isin(t["products"].product_id).all()
    assert t["order_items"].offer_id.dropna().isin(t["offers"].offer_id).all()
    assert t["impressions"].offer_id.isin(t["offers"].offer_id).all()
    assert t["redemptions"].impression_id.isin(t["impressions"].impression_id).all()
    product_offers = t["offers"][t["offers"].offer_level == "product"]
    assert product_offers.product_id.isin(t["products"].product_id).all()
    assert t["offers"][t["offers"].offer_level == "category"].product_id.isna().all()


def test_offer_products_are_the_offered_product_or_the_whole_category(year_dataset):
    _, _, t = year_dataset
    pairs, offers, products = t["offer_products"], t["offers"], t["products"]
    assert set(pairs.offer_id) == set(offers.offer_id)  # every offer discounts something
    product_offers = offers[offers.offer_level == "product"]
    mapped = pairs[pairs.offer_id.isin(product_offers.offer_id)].set_index("offer_id").product_id
    assert mapped.index.is_unique and (mapped == product_offers.set_index("offer_id").product_id).all()
    for offer in offers[offers.offer_level == "category"].head(5).itertuples():
        expected = set(products[products.category_id == offer.category_id].product_id)
        assert set(pairs[pairs.offer_id == offer.offer_id].product_id) == expected, offer.offer_id


def test_same_seed_same_data_other_seed_other_data(tmp_path):
    small = GeneratorConfig(customers=300, products=200, offers=20, days=90, seed=7)
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(small, first, echo=lambda _: None)
    generate(small, second, echo=lambda _: None)
    generate(GeneratorConfig(customers=300, products=200, offers=20, days=90, seed=8), other, echo=lambda _: None)
    a, b, c = read_tables(first), read_tables(second), read_tables(other)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)
    assert not a["orders"].equals(c["orders"])


def test_orders_fall_between_signup_and_end_of_history(year_dataset):
    config, _, t = year_dataset
    orders = t["orders"].merge(t["customers"], on="customer_id")
    assert (orders.order_date >= orders.signup_date).all()
    assert orders.order_date.max() <= pd.Timestamp(config.end_date)
    assert orders.order_date.min() >= pd.Timestamp(config.start_date)


def test_almost_every_customer_orders_at_its_segment_rate(year_dataset):
    config, _, t = year_dataset
    reference = load_reference()
    segments = reference.segments.set_index("segment")
    customers = t["customers"].copy()
    customers["orders"] = customers.customer_id.map(t["orders"].customer_id.value_counts()).fillna(0)
    # the legacy generator left 90% of customers without a single order
    assert (customers.orders > 0).mean() >= 0.95
    # customers with a card for the whole year: orders per month against the segment's rate,
    # times the year's mean weekday x payday x holiday multiplier
    cycle, holiday = reference.day_multipliers(pd.date_range(config.start_date, config.end_date))
    whole_year = customers[customers.signup_date < pd.Timestamp(config.start_date)]
    rate = whole_year.orders / (config.days / (365.25 / 12))
    for segment, segment_rate in rate.groupby(whole_year.segment):
        expected = segments.loc[segment, "visits_per_month"] * (cycle * holiday).mean()
        # individual rates are gamma-distributed around the segment's: allow 4 standard errors
        tolerance = 4 * segment_rate.std() / np.sqrt(len(segment_rate)) + 0.02 * expected
        assert segment_rate.mean() == pytest.approx(expected, abs=tolerance), segment
        # every customer of the segment follows it: no silent majority of idle customers
        assert (segment_rate > 0).mean() > 0.98, segment
    assert rate[whole_year.segment == "horeca"].mean() > rate[whole_year.segment == "budget"].mean()


def test_horeca_buys_in_bulk(year_dataset):
    _, _, t = year_dataset
    lines = t["order_items"].merge(t["orders"], on="order_id").merge(t["customers"], on="customer_id")
    quantity = lines.groupby("segment").quantity.mean()
    basket = lines.groupby(["segment", "order_id"]).size().groupby("segment").mean()
    assert quantity["horeca"] > 2 * quantity.drop("horeca").max()
    assert basket["horeca"] > basket.drop("horeca").max()


@pytest.mark.parametrize(("holiday", "multiplier"), [("christmas", 2.5), ("easter", 1.8)])
def test_holiday_uplift_in_daily_orders(year_dataset, holiday, multiplier):
    """Daily orders divided by the seed's weekday x payday multiplier, inside the holiday
    window over the 3 weeks either side: what is left is the holiday's own uplift."""
    config, _, t = year_dataset
    reference = load_reference()
    window = reference.holiday_windows(config.start_date, config.end_date)
    window = window[window.holiday_name == holiday].iloc[0]
    days = pd.date_range(window.start_date - pd.Timedelta(days=21), window.end_date + pd.Timedelta(days=21))
    cycle, _ = reference.day_multipliers(days)
    daily = t["orders"].groupby("order_date").size().reindex(days, fill_value=0) / cycle
    inside = (days >= window.start_date) & (days <= window.end_date)
    assert daily[inside].mean() / daily[~inside].mean() == pytest.approx(multiplier, rel=0.08)


def assert_redeemed_on_discounted_lines(red: pd.DataFrame, t: dict[str, pd.DataFrame]) -> None:
    """Each redemption (joined to its offer) is one order line of the redeeming customer on the
    redemption date, priced at the base price less the offer's discount, on a product of the
    offer's category."""
    lines = t["order_items"].merge(t["orders"], on="order_id")
    backed = red.merge(lines, on=["order_id", "product_id", "offer_id"], suffixes=("", "_line"))
    assert len(backed) == len(red)
    assert (backed.order_date == backed.redemption_date).all()
    assert (backed.customer_id == backed.customer_id_line).all()
    products = t["products"][["product_id", "base_price", "category_id"]].rename(
        columns={"category_id": "product_category_id"}
    )
    prices = backed.merge(products, on="product_id", validate="many_to_one")
    expected = (prices.base_price - (prices.base_price * prices.discount_pct).round(2)).round(2)
    np.testing.assert_allclose(prices.unit_price, expected, atol=0.005)
    assert (prices.category_id == prices.product_category_id).all()


def test_redemptions_are_backed_by_discounted_order_lines_in_the_window(year_dataset):
    _, _, t = year_dataset
    red = t["redemptions"].merge(t["offers"], on="offer_id", suffixes=("", "_offer"))
    assert len(red) > 100
    assert red.redemption_date.between(red.start_date, red.end_date).all()
    assert_redeemed_on_discounted_lines(red, t)
    impressions = t["impressions"].set_index("impression_id")
    shown = impressions.loc[red.impression_id]
    assert (~shown.is_control).all()
    assert (shown.impression_date.to_numpy() <= red.redemption_date.to_numpy()).all()


def test_offers_span_the_history_and_the_default_run_date(year_dataset):
    config, manifest, t = year_dataset
    offers = t["offers"]
    run_date = pd.Timestamp(manifest["default_run_date"])
    assert run_date == pd.Timestamp(config.end_date + dt.timedelta(days=1))
    live = offers[(offers.start_date <= run_date) & (offers.end_date >= run_date)]
    assert len(live) >= 0.1 * len(offers)
    months = offers.start_date.dt.to_period("M").nunique()
    assert months >= 12, "offers must start all through the year"
    assert (offers.end_date > pd.Timestamp(config.end_date)).any()
    assert set(offers.offer_level) == {"product", "category"}


def test_conversion_rate_matches_its_parameter(year_dataset):
    config, manifest, t = year_dataset
    shown = (~t["impressions"].is_control).sum()
    observed = len(t["redemptions"]) / shown
    assert observed == pytest.approx(config.conversion_rate, rel=0.12)
    assert manifest["observed_conversion_rate"] == pytest.approx(observed)


def test_impressions_log_policy_propensity_and_a_randomised_control_group(year_dataset):
    config, _, t = year_dataset
    imp = t["impressions"]
    assert set(imp.policy) == {"targeted", "explore", "control"}
    assert (imp.is_control == (imp.policy == "control")).all()
    assert imp.is_control.mean() == pytest.approx(config.control_share, abs=0.015)
    assert imp.selection_propensity.between(0, 1, inclusive="right").all()
    # the logged propensity is P(targeted or explored): every eligible customer is explored with
    # the same probability audience_share x explore_share, so no propensity falls below it, and
    # an explored customer the targeting all but ignores is logged at about that floor
    floor = config.audience_share * config.explore_share
    explore = imp[imp.policy == "explore"]
    assert (imp.selection_propensity >= floor * (1 - 1e-9)).all()
    assert explore.selection_propensity.min() == pytest.approx(floor, rel=0.05)
    targeted = imp[imp.policy == "targeted"]
    assert targeted.selection_propensity.mean() > explore.selection_propensity.mean()
    # the control group never redeems
    assert not t["redemptions"].impression_id.isin(imp[imp.is_control].impression_id).any()


def test_truth_covers_every_customer_for_offers_of_the_last_eight_weeks(year_dataset):
    config, _, t = year_dataset
    truth, offers = t["offer_truth"], t["offers"]
    window_start = pd.Timestamp(config.end_date) - pd.Timedelta(days=TRUTH_WINDOW_DAYS - 1)
    valid = offers[(offers.end_date >= window_start) & (offers.start_date <= pd.Timestamp(config.end_date))]
    assert set(truth.offer_id) == set(valid.offer_id)
    assert len(truth) == len(valid) * config.customers
    assert truth.p_redeem_if_shown.between(0, 1).all() and truth.p_buy_if_not_shown.between(0, 1).all()
    assert (truth.true_uplift >= 0).all()
    # uplift varies between customers of the same offer: something for an uplift model to learn
    assert truth.groupby("offer_id").true_uplift.std().min() > 0


def test_redemptions_follow_the_true_probabilities(year_dataset):
    """Shown customers with a high true probability redeem more often than those with a low one."""
    _, _, t = year_dataset
    shown = t["impressions"][~t["impressions"].is_control]
    shown = shown.merge(t["offer_truth"], on=["customer_id", "offer_id"])
    shown["redeemed"] = shown.impression_id.isin(t["redemptions"].impression_id)
    top = shown.p_redeem_if_shown >= shown.p_redeem_if_shown.quantile(0.8)
    assert shown[top].redeemed.mean() > 2 * shown[~top].redeemed.mean()
    assert shown.redeemed.mean() == pytest.approx(shown.p_redeem_if_shown.mean(), rel=0.25)


def test_segment_shares_at_default_scale():
    customers = Run(GeneratorConfig(), echo=lambda _: None).population().customers.table
    shares = customers.segment.value_counts(normalize=True)
    expected = load_reference().segments.set_index("segment").customer_share
    for segment, share in expected.items():
        assert shares[segment] == pytest.approx(share, abs=0.02)
    assert len(customers) == 50_000


def test_invalid_configuration_is_refused():
    with pytest.raises(ValueError, match="customers"):
        GeneratorConfig(customers=0).validate()
    with pytest.raises(ValueError, match="conversion_rate"):
        GeneratorConfig(conversion_rate=1.5).validate()


def test_the_data_is_the_same_whatever_the_chunk_size(tmp_path):
    """Three blocks of customers (4,096 each, the last one short) generated in chunks of one
    block, of two blocks (rounded from 7,000) and in one chunk: every table and the truth are
    the same rows, and the manifests agree but for the seconds taken."""
    config = GeneratorConfig(customers=9_000, products=500, offers=30, days=60)
    manifests, tables = {}, {}
    for chunk in (4_096, 7_000, 9_000):
        manifests[chunk] = generate(config, tmp_path / str(chunk), echo=lambda _: None, chunk_customers=chunk)
        tables[chunk] = read_tables(tmp_path / str(chunk))
    assert len(list((tmp_path / "4096" / "raw" / "order_items").glob("*.parquet"))) == 3
    assert len(list((tmp_path / "7000" / "raw" / "order_items").glob("*.parquet"))) == 2
    keys = {**PRIMARY_KEYS, "offer_truth": ("customer_id", "offer_id")}
    for name, frame in tables[9_000].items():
        whole = frame.sort_values(list(keys[name]), ignore_index=True)
        for chunk in (4_096, 7_000):
            chunked = tables[chunk][name].sort_values(list(keys[name]), ignore_index=True)
            pd.testing.assert_frame_equal(chunked, whole, obj=f"{name} in chunks of {chunk}")
    for manifest in manifests.values():
        manifest.pop("seconds")
    assert manifests[4_096] == manifests[7_000] == manifests[9_000]
    assert manifests[9_000]["row_counts"]["orders"] > 0


def test_ids_are_keys_of_what_they_identify(year_dataset):
    """An order is its date and customer, an impression its offer and customer, a
    redemption takes its impression's id."""
    _, _, t = year_dataset
    orders = t["orders"]
    assert (
        orders.order_id == orders.order_date.dt.strftime("%Y%m%d").astype("int64") * 10**8 + orders.customer_id
    ).all()
    # by hand: customer 42 (index 41) on the day after 30 October 2026; offer 7 shown to customer 3
    assert order_ids(np.datetime64("2026-10-30"), np.array([1]), np.array([41])).tolist() == [2026103100000042]
    assert impression_ids(np.array([6]), np.array([2])).tolist() == [700000003]
    impressions = t["impressions"]
    assert (impressions.impression_id == impressions.offer_id * 10**8 + impressions.customer_id).all()
    assert (t["redemptions"].redemption_id == t["redemptions"].impression_id).all()


def test_appending_days_lands_new_files_with_keyed_ids(tmp_path):
    config = GeneratorConfig(customers=1_500, products=800, offers=60, days=90, end_date=dt.date(2026, 10, 31))
    generate(config, tmp_path, echo=lambda _: None)
    before = read_tables(tmp_path)
    first_day, second_day = dt.date(2026, 11, 1), dt.date(2026, 11, 2)
    with pytest.raises(ValueError, match="next day to land is 2026-11-01"):
        append_day(tmp_path, second_day, echo=lambda _: None)
    append_day(tmp_path, first_day, echo=lambda _: None)
    manifest = append_day(tmp_path, second_day, echo=lambda _: None)
    assert manifest["history_end"] == "2026-11-02" and manifest["default_run_date"] == "2026-11-03"
    for table in ("orders", "order_items", "impressions", "redemptions"):
        assert (tmp_path / "raw" / table / "landed_2026-11-02_day.parquet").exists()
    after = read_tables(tmp_path)
    new_orders = after["orders"][after["orders"].order_date > pd.Timestamp(config.end_date)]
    assert set(new_orders.order_date) == {pd.Timestamp(first_day), pd.Timestamp(second_day)}
    assert new_orders.order_id.min() > before["orders"].order_id.max()  # ids grow with time
    expected_id = new_orders.order_date.dt.strftime("%Y%m%d").astype("int64") * 10**8 + new_orders.customer_id
    assert (new_orders.order_id == expected_id).all()
    # earlier batches are untouched, keys stay unique across batches
    pd.testing.assert_frame_equal(after["orders"].iloc[: len(before["orders"])], before["orders"])
    for name, key in PRIMARY_KEYS.items():
        assert not after[name].duplicated(list(key)).any(), name
    # redemptions of the new days: decided when their impression was generated, each on a
    # discounted order line of that day
    new_red = after["redemptions"][after["redemptions"].redemption_date > pd.Timestamp(config.end_date)]
    assert len(new_red) > 0
    assert_redeemed_on_discounted_lines(new_red.merge(after["offers"], on="offer_id", suffixes=("", "_offer")), after)
    assert new_red.impression_id.isin(after["impressions"].impression_id).all()
    # appending a landed day again changes nothing, in any table
    append_day(tmp_path, second_day, echo=lambda _: None)
    again = read_tables(tmp_path)
    assert again.keys() == after.keys()
    for name, frame in after.items():
        pd.testing.assert_frame_equal(again[name], frame, obj=name)


def test_a_behaviour_shift_changes_only_its_segment_after_its_date(tmp_path):
    shift_from = dt.date(2026, 10, 4)
    base = GeneratorConfig(customers=2_000, products=600, offers=30, days=90, end_date=dt.date(2026, 10, 31))
    shifted = dataclasses.replace(
        base, shift_segment="budget", shift_from=shift_from, shift_visit_multiplier=0.2, shift_basket_multiplier=2.0
    )
    rates = {}
    for name, config in (("base", base), ("shifted", shifted)):
        generate(config, tmp_path / name, echo=lambda _: None)
        t = read_tables(tmp_path / name)
        orders = t["orders"].merge(t["customers"], on="customer_id")
        orders["after"] = orders.order_date >= pd.Timestamp(shift_from)
        lines = t["order_items"].groupby("order_id").size().rename("lines")
        orders = orders.join(lines, on="order_id")
        rates[name] = orders.groupby(["segment", "after"]).agg(orders=("order_id", "size"), lines=("lines", "mean"))
    ratio = rates["shifted"].orders / rates["base"].orders
    assert ratio[("budget", True)] == pytest.approx(0.2, abs=0.05)
    assert ratio[("budget", False)] == pytest.approx(1.0, abs=0.05)
    assert ratio[("family", True)] == pytest.approx(1.0, abs=0.1)
    assert rates["shifted"].lines[("budget", True)] > 1.6 * rates["base"].lines[("budget", True)]
    with pytest.raises(ValueError, match="segment and a start date"):
        dataclasses.replace(base, shift_segment="budget").validate()
    with pytest.raises(ValueError, match="unknown shift segment"):
        dataclasses.replace(base, shift_segment="pirates", shift_from=shift_from).validate()
