"""Hand-computed checks of the generator's numerical helpers and the reference data."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from metro_offers.generator.sampling import calibrate_intercept, categorical_cdf, pair_noise, sigmoid
from metro_offers.reference import load_reference


def test_categorical_cdf_by_hand():
    # group 0 has weights 1, 3 -> cdf 0.25, 1.0; group 1 has weights 2, 2, 4 -> 1.25, 1.5, 2.0
    cdf = categorical_cdf(np.array([1.0, 3.0, 2.0, 2.0, 4.0]), np.array([0, 0, 1, 1, 1]), 2)
    np.testing.assert_allclose(cdf, [0.25, 1.0, 1.25, 1.5, 2.0])
    # drawing with searchsorted(cdf, group + u) picks items of that group only, by weight
    rng = np.random.default_rng(0)
    draws = np.searchsorted(cdf, 1 + rng.random(100_000), side="right")
    shares = np.bincount(draws, minlength=5)[2:] / 100_000
    np.testing.assert_allclose(shares, [0.25, 0.25, 0.5], atol=0.01)


def test_calibrated_intercept_hits_the_target_mean():
    base = np.linspace(-2, 2, 1001)
    b = calibrate_intercept(base, 0.1)
    assert sigmoid(base + b).mean() == pytest.approx(0.1, abs=1e-9)
    # with a transform, the transformed mean is calibrated
    b = calibrate_intercept(base, 0.3, transform=lambda p: 0.2 + 0.8 * p)
    assert (0.2 + 0.8 * sigmoid(base + b)).mean() == pytest.approx(0.3, abs=1e-9)


def test_pair_noise_is_a_deterministic_standard_normal():
    customers = np.repeat(np.arange(1, 501), 200)
    offers = np.tile(np.arange(1, 201), 500)
    noise = pair_noise(customers, offers, seed=42, salt=1)
    assert noise.mean() == pytest.approx(0, abs=0.02)
    assert noise.std() == pytest.approx(1, abs=0.02)
    # order of the pairs does not matter, seed and salt do
    order = np.random.default_rng(1).permutation(len(customers))
    np.testing.assert_array_equal(pair_noise(customers[order], offers[order], 42, 1), noise[order])
    assert not np.allclose(pair_noise(customers, offers, 42, 2), noise)
    assert not np.allclose(pair_noise(customers, offers, 43, 1), noise)


def test_day_multipliers_by_hand():
    ref = load_reference()
    # Monday 2026-12-14 (inside Christmas) and Sunday 2026-12-20
    cycle, holiday = ref.day_multipliers(pd.DatetimeIndex([dt.date(2026, 12, 14), dt.date(2026, 12, 20)]))
    np.testing.assert_allclose(holiday, [2.5, 2.5])
    # weekday multipliers 1.00 (Mon) and 0.35 (Sun); the normaliser is the same for both days
    np.testing.assert_allclose(cycle[1] / cycle[0], 0.35)
    # payday: the 1st of a month gets its 1.2 on top of the weekday's (both Mondays)
    cycle, holiday = ref.day_multipliers(pd.DatetimeIndex([dt.date(2026, 6, 1), dt.date(2026, 6, 8)]))
    np.testing.assert_allclose(cycle[0] / cycle[1], 1.2)
    np.testing.assert_allclose(holiday, [1.0, 1.0])
    # a day's multiplier does not depend on the other days asked for (appending a day later)
    alone, _ = ref.day_multipliers(pd.DatetimeIndex([dt.date(2026, 6, 1)]))
    np.testing.assert_allclose(alone, cycle[:1])
    # the cycles average 1 over a whole year
    year, _ = ref.day_multipliers(pd.date_range("2026-01-01", "2026-12-31"))
    assert year.mean() == pytest.approx(1.0, abs=0.01)


def test_reference_seeds_are_consistent():
    ref = load_reference()
    assert ref.segments.customer_share.sum() == pytest.approx(1.0)
    assert list(ref.segments.segment) == ["budget", "premium", "family", "horeca"]
    assert ref.categories.category_id.is_unique
    assert set(ref.holidays.holiday_name) == {"christmas", "easter"}
    christmas = ref.holidays[ref.holidays.holiday_name == "christmas"]
    assert (christmas.demand_multiplier == 2.5).all()
    assert (ref.holidays[ref.holidays.holiday_name == "easter"].demand_multiplier == 1.8).all()
