"""Uplift: metrics by hand, the learners on simulated data with a known effect, the margin
formula, the store's round trip."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from metro_offers.uplift import metrics, store
from metro_offers.uplift.decision import expected_incremental_margin
from metro_offers.uplift.evaluation import ORACLE, RANDOM, evaluate_lists, evaluate_targeting, targeting_scores
from metro_offers.uplift.learners import LEARNERS, UpliftData, UpliftSettings, fit_learners
from metro_offers.uplift.training import serving_learner, train, validation_qini

SETTINGS = UpliftSettings(
    learning_rate=0.1, num_leaves=7, min_data_in_leaf=50, max_rounds=80, early_stopping_rounds=10, seed=7
)
# rows already in targeting order: shown, bought
TREATED = np.array([1, 0, 1, 0], dtype=bool)
OUTCOME = np.array([1, 0, 0, 1], dtype=bool)


def test_qini_curve_and_coefficient_by_hand():
    # Q(k) = (Y_t - Y_c * N_t / N_c) / n: k=1: (1 - 0)/4 (no control yet: counts 0), k=2: 1/4,
    # k=3: 1/4, k=4: (1 - 1 * 2/2)/4 = 0. Trapezoids over x = 0, .25, .5, .75, 1:
    # .03125 + .0625 + .0625 + .03125 = .1875; random's line ends at Q(n) = 0.
    np.testing.assert_allclose(metrics.qini_curve(TREATED, OUTCOME), [0.25, 0.25, 0.25, 0.0])
    assert metrics.targeting_metrics(TREATED, OUTCOME)["qini"] == pytest.approx(0.1875)


def test_auuc_and_uplift_at_k_by_hand():
    # G(k) = (Y_t/N_t - Y_c/N_c) * k/n: .25, .5, (.5 - 0) * .75 = .375, (.5 - .5) * 1 = 0;
    # area .03125 + .09375 + .109375 + .046875 = .28125, random's line ends at 0
    np.testing.assert_allclose(metrics.gain_curve(TREATED, OUTCOME), [0.25, 0.5, 0.375, 0.0])
    result = metrics.targeting_metrics(TREATED, OUTCOME)
    assert result["auuc"] == pytest.approx(0.28125)
    # top 10% = ceil(0.4) = 1 row: no control row there -> undefined; top 30% = 2 rows: 1/1 - 0/1
    assert np.isnan(result["uplift_at_10"])
    assert result["uplift_at_30"] == pytest.approx(1.0)


def test_random_line_is_subtracted():
    # everyone responds only when shown: Q rises to Q(n) = (2 - 0)/4 = .5 along k; ordered
    # treated first the curve is .25, .5, .5, .5: area .03125 + .09375 + .125 + .125 = .375,
    # minus random's .5 / 2 = .25 -> .125
    treated = np.array([1, 1, 0, 0], dtype=bool)
    outcome = np.array([1, 1, 0, 0], dtype=bool)
    np.testing.assert_allclose(metrics.qini_curve(treated, outcome), [0.25, 0.5, 0.5, 0.5])
    assert metrics.targeting_metrics(treated, outcome)["qini"] == pytest.approx(0.125)


def test_weights_act_as_repeated_rows():
    # a resample that draws row 1 twice and drops row 4 equals the rows 1, 1, 2, 3 (row 1 is
    # shown: the curve is straight between the two copies, so trapezoids agree)
    each_row = np.arange(4)
    resample = metrics.Resamples(draws=np.array([[2, 1, 1, 0]]), cluster=each_row)
    repeated = metrics.targeting_metrics(TREATED[[0, 0, 1, 2]], OUTCOME[[0, 0, 1, 2]])
    weighted = metrics.targeting_metrics(TREATED, OUTCOME, resamples=resample)
    assert weighted["qini"][0] == pytest.approx(repeated["qini"])
    assert weighted["auuc"][0] == pytest.approx(repeated["auuc"])
    # a cluster's draws weigh each of its rows: customer 0 (rows 1, 2) drawn twice, customer 1
    # (row 3) not, customer 2 (row 4) once = row weights 2, 2, 0, 1
    by_customer = metrics.Resamples(draws=np.array([[2, 0, 1]]), cluster=np.array([0, 0, 1, 2]))
    by_row = metrics.Resamples(draws=np.array([[2, 2, 0, 1]]), cluster=each_row)
    customers = metrics.targeting_metrics(TREATED, OUTCOME, resamples=by_customer)
    rows = metrics.targeting_metrics(TREATED, OUTCOME, resamples=by_row)
    for name, value in rows.items():
        np.testing.assert_allclose(customers[name], value, err_msg=name)


def reference_metrics(treated, outcome, weights, tau) -> dict[str, float]:
    """The module's definitions as whole-array running sums (numpy), for one weight vector."""
    w = weights.astype(float)
    n_t, n_c = np.cumsum(w * treated), np.cumsum(w * ~treated)
    y_t, y_c = np.cumsum(w * treated * outcome), np.cumsum(w * ~treated * outcome)
    n = n_t + n_c

    def ratio(a, b):
        return np.divide(a, b, out=np.zeros_like(a), where=b > 0)

    def area(curve):
        return ((w * curve).sum() + (w[1:] * curve[:-1]).sum()) / (2 * n[-1]) - curve[-1] / 2

    top = int(np.ceil(0.3 * len(w))) - 1
    return {
        "qini": area((y_t - ratio(y_c * n_t, n_c)) / n[-1]),
        "auuc": area((ratio(y_t, n_t) - ratio(y_c, n_c)) * n / n[-1]),
        "uplift_at_30": y_t[top] / n_t[top] - y_c[top] / n_c[top],
        "true_qini": area(ratio(np.cumsum(w * tau), n) * n_t / n[-1]),
    }


def test_compiled_pass_matches_the_definitions_on_random_resamples():
    rng = np.random.default_rng(11)
    treated, outcome = rng.random(3_000) < 0.7, rng.random(3_000) < 0.2
    tau, customer = rng.normal(0.05, 0.1, 3_000), rng.integers(0, 800, 3_000)
    resamples = next(metrics.poisson_resamples(customer, 6, seed=2))
    compiled = metrics.targeting_metrics(treated, outcome, tau, resamples)
    for r in range(6):
        weights = resamples.draws[r, resamples.cluster]
        for name, value in reference_metrics(treated, outcome, weights, tau).items():
            assert compiled[name][r] == pytest.approx(value, rel=1e-9), name


def test_poisson_resamples_are_the_same_whatever_the_chunk(monkeypatch):
    customer = np.array([5, 5, 9, 2, 9])
    monkeypatch.setattr(metrics, "BOOTSTRAP_CHUNK", 100)
    chunks = list(metrics.poisson_resamples(customer, 150, seed=1))
    assert [c.draws.shape for c in chunks] == [(100, 3), (50, 3)]
    np.testing.assert_array_equal(chunks[0].cluster, [1, 1, 2, 0, 2])  # customers 2, 5, 9
    draws = np.vstack([c.draws for c in chunks])
    monkeypatch.setattr(metrics, "BOOTSTRAP_CHUNK", 7)
    np.testing.assert_array_equal(np.vstack([c.draws for c in metrics.poisson_resamples(customer, 150, seed=1)]), draws)
    assert draws.mean() == pytest.approx(1.0, abs=0.15)


def test_expected_incremental_margin_by_hand():
    # price 10, cost 6 (margin 4), 20% off (discount 2 per unit); uplift .125, P(redeem) .0625:
    # .125 * 4 - 2 * .0625 = .375 (campaign_targeting's dbt unit test has the same case)
    assert expected_incremental_margin(0.125, 0.0625, 10.0, 6.0, 0.2) == pytest.approx(0.375)
    # uplift .05, P(redeem) .2: .2 - .4 = -.2, the discount paid to anyway-buyers outweighs the gain
    assert expected_incremental_margin(0.05, 0.2, 10.0, 6.0, 0.2) == pytest.approx(-0.2)


def simulated(n: int, seed: int) -> tuple[UpliftData, np.ndarray]:
    """Two features; base rate 0.1 + 0.2 * [x0 > 0]; the offer adds 0.3 where x1 > 0, nothing
    elsewhere; 80% shown at random."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"x0": rng.normal(size=n), "x1": rng.normal(size=n)})
    tau = np.where(x.x1 > 0, 0.3, 0.0)
    base = 0.1 + 0.2 * (x.x0 > 0)
    shown = rng.random(n) < 0.8
    outcome = rng.random(n) < base + shown * tau
    return UpliftData(x, shown, outcome.to_numpy()), tau


def test_learners_recover_a_known_effect():
    train, _ = simulated(20_000, seed=1)
    valid, _ = simulated(5_000, seed=2)
    test, tau = simulated(10_000, seed=3)
    fitted = fit_learners(train, valid, SETTINGS, echo=lambda *_: None)
    assert set(fitted) == set(LEARNERS)
    for name, learner in fitted.items():
        predicted = learner.predict(test.x)
        effect = predicted.uplift.to_numpy()
        # the effect is 0.3 where x1 > 0 and 0 elsewhere: each learner separates the halves
        assert effect[tau > 0].mean() == pytest.approx(0.3, abs=0.06), name
        assert effect[tau == 0].mean() == pytest.approx(0.0, abs=0.06), name
        assert np.corrcoef(effect, tau)[0, 1] > 0.7, name
        assert predicted.p_if_not_shown.mean() == pytest.approx(0.2, abs=0.03), name
    assert fitted["x_learner"].shown_share == pytest.approx(0.8, abs=0.01)
    # the X-learner reuses the T-learner's outcome models
    assert fitted["x_learner"].boosters["outcome_shown"] is fitted["t_learner"].boosters["outcome_shown"]


def test_targeting_evaluation_ranks_the_truth_first():
    test, tau = simulated(8_000, seed=4)
    rows = pd.DataFrame(
        {"customer_id": np.arange(8_000) // 2, "shown": test.shown, "bought_offer_products": test.outcome}
    ).assign(true_uplift=tau)
    scores = targeting_scores({"noisy_truth": tau + np.random.default_rng(0).normal(0, 0.1, 8_000)}, tau, seed=3)
    table = evaluate_targeting(rows, scores, bootstrap_samples=200, seed=3).set_index(["method", "metric"])
    assert set(table.index.get_level_values("method")) == {RANDOM, "noisy_truth", ORACLE}
    oracle_qini = table.loc[(ORACLE, "qini")]
    # the true effect is 0.3 on half the rows, 80% shown: the oracle's Qini curve rises to
    # .3 * .8 * .5 = .12 at half the population and stays: area .03 + .06, minus random's .06
    assert oracle_qini.value == pytest.approx(0.03, abs=0.008)
    assert oracle_qini.ci_low < oracle_qini.value < oracle_qini.ci_high
    assert table.loc[(RANDOM, "qini")].ci_low < 0 < table.loc[(RANDOM, "qini")].ci_high
    assert table.loc[("noisy_truth", "qini_share_of_oracle")].value > 0.8
    assert table.loc[(ORACLE, "spearman_true_uplift")].value == pytest.approx(1.0)
    assert table.loc[(ORACLE, "true_qini")].value == pytest.approx(0.03, abs=0.002)


def test_list_evaluation_by_hand():
    # one customer, three offers, k = 1. True (p1, p0): A (.5, .4), B (.2, .0), C (.1, .0);
    # price 10, cost 6, 20% off. True incremental margin: A .1*4 - 2*.5 = -.6, B .2*4 - 2*.2 = .4,
    # C .1*4 - 2*.1 = .2. P(redeem) ranks A first, uplift ranks B first.
    pool = pd.DataFrame(
        {
            "customer_id": [1, 1, 1],
            "offer_id": [1, 2, 3],
            "p_redeem": [0.5, 0.2, 0.1],
            "uplift": [0.1, 0.2, 0.1],
            "base_price": 10.0,
            "unit_cost": 6.0,
            "discount_pct": 0.2,
            "true_p_if_shown": [0.5, 0.2, 0.1],
            "true_p_if_not_shown": [0.4, 0.0, 0.0],
        }
    )
    table = evaluate_lists(pool, k=1, bootstrap_samples=10, seed=1).set_index(["method", "metric"]).value
    assert table[("p_redeem", "incremental_margin_per_customer")] == pytest.approx(-0.6)
    assert table[("uplift", "incremental_margin_per_customer")] == pytest.approx(0.4)
    assert table[(ORACLE, "incremental_margin_per_customer")] == pytest.approx(0.4)
    assert table[("uplift", "incremental_margin_gain_over_p_redeem_per_customer")] == pytest.approx(1.0)
    assert table[("p_redeem", "redemptions_per_customer")] == pytest.approx(0.5)
    assert table[("uplift", "incremental_redemptions_per_customer")] == pytest.approx(0.2)


def test_the_serving_learner_is_named_or_the_best_on_validation():
    validation = {"s_learner": 0.002, "t_learner": 0.004, "x_learner": 0.003}
    assert serving_learner("x_learner", validation) == "x_learner"
    assert serving_learner("auto", validation) == "t_learner"
    assert serving_learner("auto", {}) == "s_learner"
    with pytest.raises(ValueError, match="one of"):
        serving_learner("best", validation)


def test_validation_qini_ranks_the_learner_that_knows_the_effect_first():
    train, _ = simulated(20_000, seed=6)
    valid, _ = simulated(10_000, seed=7)
    fitted = fit_learners(train, valid, SETTINGS, echo=lambda *_: None)
    qini = validation_qini({**fitted, "constant": ConstantLearner()}, valid, seed=1)
    assert set(qini) == {*LEARNERS, "constant"}
    assert min(qini[name] for name in LEARNERS) > qini["constant"] + 0.01


class ConstantLearner:
    """Predicts the same uplift for everyone: its order is random."""

    def predict(self, x):
        return pd.DataFrame({"uplift": np.zeros(len(x))})


def test_store_round_trip(tmp_path):
    train, _ = simulated(4_000, seed=5)
    fitted = fit_learners(train, None, SETTINGS, echo=lambda *_: None)
    cutoff = dt.date(2026, 10, 4)
    meta = {
        "settings": {"a": 1},
        "reason": "no stored model",
        "training_window_start": "2026-04-05",
        "training_window_end": "2026-09-06",
        "validation_start": "2026-09-06",
        "training_rows": 4000,
        "training_shown_rows": int(train.shown.sum()),
        "training_outcomes": int(train.outcome.sum()),
        "shown_share": float(train.shown.mean()),
        "features": ["x0", "x1"],
        "validation_rows": 0,
        "validation_qini": {},
    }
    files = {"impressions/a.parquet": 10}
    assert store.training_reason(tmp_path, cutoff, {"a": 1}, files, force=False) == "no stored model"
    store.save(tmp_path, cutoff, fitted, meta, files)
    assert store.training_reason(tmp_path, cutoff, {"a": 1}, files, force=False) is None
    assert store.training_reason(tmp_path, cutoff, {"a": 2}, files, force=False) == "the uplift settings changed"
    loaded, features = store.load_learners(tmp_path, cutoff)
    assert features == ["x0", "x1"]
    for name, learner in fitted.items():
        pd.testing.assert_frame_equal(loaded[name].predict(train.x[:50]), learner.predict(train.x[:50]))
    registry = store.registry_frame(tmp_path, cutoff, serving="t_learner")
    assert list(registry.learner) == list(LEARNERS)
    assert registry.set_index("learner").is_serving.to_dict() == {
        "s_learner": False,
        "t_learner": True,
        "x_learner": False,
    }
    assert (registry.training_rows == 4000).all()


def test_training_does_not_depend_on_the_row_order():
    data, _ = simulated(6_000, seed=8)
    days = pd.date_range("2026-01-01", periods=6_000, freq="h")  # 250 days of impressions
    examples = data.x.assign(
        impression_id=np.arange(6_000),
        impression_date=days.normalize(),
        outcome_window_end=days.normalize() + pd.Timedelta(days=7),
        shown=data.shown,
        bought_offer_products=data.outcome,
    )
    cutoff = dt.date(2026, 9, 1)
    first, _ = train(examples, cutoff, 60, SETTINGS, echo=lambda *_: None, features=("x0", "x1"))
    again, _ = train(
        examples.sample(frac=1.0, random_state=1), cutoff, 60, SETTINGS, echo=lambda *_: None, features=("x0", "x1")
    )
    for name in LEARNERS:
        pd.testing.assert_frame_equal(first[name].predict(data.x[:100]), again[name].predict(data.x[:100]))


def test_typed_batches_are_the_frames_one_after_another_with_the_declared_types():
    import pyarrow as pa

    from metro_offers.arrow_tables import typed_batches

    columns = {"customer_id": "int64", "score": "float64", "learner": "string"}
    frames = [
        pd.DataFrame({"customer_id": [3, 1], "score": [0.5, 0.25], "learner": "x_learner", "dropped": 9}),
        pd.DataFrame({"customer_id": [], "score": [], "learner": []}),  # an empty batch adds nothing
        pd.DataFrame({"customer_id": [2], "score": [1.0], "learner": "x_learner"}),
    ]
    table = typed_batches(iter(frames), columns)
    assert table.schema == pa.schema([("customer_id", pa.int64()), ("score", pa.float64()), ("learner", pa.string())])
    assert table.to_pydict() == {
        "customer_id": [3, 1, 2],
        "score": [0.5, 0.25, 1.0],
        "learner": ["x_learner"] * 3,
    }
    nothing = typed_batches(iter([]), columns)
    assert nothing.num_rows == 0 and nothing.schema == table.schema
