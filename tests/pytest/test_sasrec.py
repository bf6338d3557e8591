"""SASRec over baskets and its mix with the customer's own frequency: the sequences, the
repeat logits and the loss by hand, causality, learning a planted pattern, reproducibility,
the artifact, the stored lists of the next-basket evaluation, and SASRec's offer probability
as a ranker feature."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import duckdb
import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from metro_offers.next_basket import methods, offer_probability, sasrec, store
from metro_offers.next_basket.repeat_explore import EXPLORE_ONLY, PersonalFrequency, mixed_top_k
from metro_offers.next_basket.sequences import BasketHistory, build_sequences, gap_bucket
from metro_offers.next_basket.task import LINE_COLUMNS, NextBasketTask, warehouse_lines
from metro_offers.reference import project_root

VARS = yaml.safe_load((project_root() / "dbt_project.yml").read_text())["vars"]
SMALL = dataclasses.replace(
    sasrec.SasrecSettings.from_vars(VARS),
    max_baskets=4,
    target_baskets=3,
    max_basket_items=3,
    dimensions=16,
    blocks=1,
    heads=2,
    dropout=0.0,
    learning_rate=0.02,
    batch_size=32,
    max_epochs=8,
    patience=8,
    validation_days=4,
)


def day(n: int) -> pd.Timestamp:
    return pd.Timestamp("2026-01-01") + pd.Timedelta(days=n)


def frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "basket_id", "basket_time", "product_id"])


def test_the_settings_come_from_the_vars_only():
    assert sasrec.SasrecSettings.from_vars(VARS).max_baskets == VARS["sasrec_max_baskets"]
    with pytest.raises(KeyError, match="sasrec_seed"):
        sasrec.SasrecSettings.from_vars({k: v for k, v in VARS.items() if k != "sasrec_seed"})


def test_gap_buckets_by_hand():
    # edges 0, 1, 2, 4, 7, 14, 30: same day 1, next day 2, 3 days 4, a week 5, 8 days 6, 31 days 8
    assert gap_bucket(np.array([np.nan, 0, 1, 3, 7, 8, 31])).tolist() == [0, 1, 2, 4, 5, 6, 8]


def test_sequences_are_the_latest_baskets_right_aligned_with_their_gaps():
    lines = frame(
        [
            (7, 1, day(0), 30), (7, 1, day(0), 10),
            (7, 2, day(3), 20),
            (7, 3, day(10), 10), (7, 3, day(10), 20), (7, 3, day(10), 30), (7, 3, day(10), 40),
            (7, 4, day(11), 99),  # not in the catalogue: the basket is dropped
            (8, 5, day(2), 20),
        ]
    )  # fmt: skip
    seq = build_sequences(lines, np.array([10, 20, 30, 40]), slots=2, max_items=3)
    assert seq.customers.tolist() == [7, 8]
    # customer 7: its two latest baskets (2, then 3 cut at 3 products by id); codes = index + 1
    assert seq.items[0].tolist() == [[2, 0, 0], [1, 2, 3]]
    assert seq.items[1].tolist() == [[0, 0, 0], [2, 0, 0]]
    # gaps: basket 2 came 3 days after basket 1 (bucket 4), basket 3 seven days after 2 (5)
    assert seq.gaps.tolist() == [[4, 5], [0, 0]]
    assert seq.basket_count.tolist() == [2, 1]


def test_repeat_logits_by_hand():
    # one sequence of three slots: empty, {1, 2}, {2, 3}; predictions after slot 1 and slot 2
    items = torch.tensor([[[0, 0], [1, 2], [2, 3]]])
    gate = torch.tensor([[0.5, 1.0, 2.0], [0.0, 1.0, 3.0]])
    repeat, bought = sasrec.repeat_logits(items, torch.tensor([0, 0]), torch.tensor([1, 2]), gate, n_products=4)
    log_half = np.log(0.5)
    # after slot 1: products 1 and 2 in 1 of 1 basket, both in the latest: 0.5 + 0 + 2
    # after slot 2: product 1 in 1 of 2 (not latest): log 1/2; 2 in 2 of 2 and latest: 3;
    # product 3 in 1 of 2 and latest: log 1/2 + 3; products never bought: 0 (not used)
    np.testing.assert_allclose(repeat.numpy(), [[2.5, 2.5, 0, 0], [log_half, 3.0, log_half + 3, 0.0]], rtol=1e-6)
    assert bought.tolist() == [[True, True, False, False], [True, True, True, False]]


def test_the_loss_is_the_softmax_cross_entropy_of_the_next_basket_by_hand():
    torch.manual_seed(0)
    network = sasrec.build_network(5, SMALL).eval()
    # 4 + 1 slots: empty, {1}, {2, 3}, {4}, {1, 5}; the last 3 baskets are targets, the first
    # one is not (its input slot is empty)
    items = torch.tensor([[[0, 0, 0], [1, 0, 0], [2, 3, 0], [4, 0, 0], [1, 5, 0]]])
    gaps = torch.tensor([[0, 0, 3, 3, 3]])
    loss = sasrec.basket_loss(network, items, gaps, target_baskets=3)
    with torch.no_grad():
        log_p = torch.log_softmax(
            network(items[:, :-1], gaps[:, :-1], torch.tensor([0, 0, 0]), torch.tensor([1, 2, 3])), -1
        )
    # after {1}: {2, 3}; after {2, 3}: {4}; after {4}: {1, 5} (column = product - 1)
    expected = -np.mean([(log_p[0, 1] + log_p[0, 2]) / 2, log_p[1, 3], (log_p[2, 0] + log_p[2, 4]) / 2])
    assert loss.item() == pytest.approx(float(expected), rel=1e-5)
    # with one target basket only the last prediction counts
    only_last = sasrec.basket_loss(network, items, gaps, target_baskets=1)
    assert only_last.item() == pytest.approx(float(-(log_p[2, 0] + log_p[2, 4]) / 2), rel=1e-5)


def test_a_basket_sees_only_the_baskets_before_it():
    torch.manual_seed(0)
    network = sasrec.build_network(5, SMALL).eval()
    items = torch.tensor([[[1, 0, 0], [2, 3, 0], [4, 0, 0], [5, 0, 0]]])
    later = items.clone()
    later[0, 3] = torch.tensor([1, 2, 0])
    gaps = torch.zeros(1, 4, dtype=torch.int64)
    with torch.no_grad():
        before = network.encode(items, gaps)
        after = network.encode(later, gaps)
    torch.testing.assert_close(before[:, :3], after[:, :3])
    assert not torch.allclose(before[:, 3], after[:, 3])


CUTOFF = day(25)
PLANTED = dataclasses.replace(SMALL, validation_days=10)


def planted_lines(customers: int = 120) -> pd.DataFrame:
    """After product 1 an odd customer buys product 2, an even one product 3, in the next
    basket; each basket also holds one of products 4-9 at random. Four cycles, then {1} on
    day 10, its follower on day 20 (the validation target: the validation cutoff is day 15),
    {1} on day 21 and the follower on day 30 (judged: after the cutoff)."""
    rng = np.random.default_rng(0)
    rows, basket = [], 0
    for customer in range(1, customers + 1):
        t = 0
        follower = 3 if customer % 2 == 0 else 2
        for _ in range(4):
            for product in (1, follower):
                basket, t = basket + 1, t + 1
                rows += [(customer, basket, day(t), product), (customer, basket, day(t), int(rng.integers(4, 10)))]
        for when, product in ((10, 1), (20, follower), (21, 1), (30, follower)):
            basket += 1
            rows.append((customer, basket, day(when), product))
    return frame(rows)


def test_sasrec_learns_a_planted_sequence_and_is_reproducible():
    lines = planted_lines()
    data = sasrec.training_data(lines, CUTOFF, PLANTED)
    model = sasrec.Sasrec.fit(data, PLANTED, echo=lambda _: None)
    task = NextBasketTask.from_lines(lines, CUTOFF)
    ranked = model.top_k(model.sequences(task.history), 1)
    # after product 1: 2 for odd customers, 3 for even ones
    follower = np.where(ranked.customer_id % 2 == 0, 3, 2)
    assert (ranked.product_id == follower).mean() > 0.9
    assert len(model.history) >= 1 and model.best_epoch >= 1
    again = sasrec.Sasrec.fit(data, PLANTED, echo=lambda _: None)
    for name, value in model.network.state_dict().items():  # the same weights (timings aside)
        torch.testing.assert_close(again.network.state_dict()[name], value, rtol=0, atol=0)
    assert [r["valid_ndcg_at_10"] for r in again.history] == [r["valid_ndcg_at_10"] for r in model.history]
    # the artifact scores the same
    loaded = sasrec.Sasrec.from_bytes(model.to_bytes())
    sequences = model.sequences(task.history)
    np.testing.assert_array_equal(next(loaded.probabilities(sequences))[1], next(model.probabilities(sequences))[1])
    assert loaded.history == model.history and loaded.settings == model.settings


def test_training_learns_from_a_fixed_sample_of_at_most_training_customers():
    lines = planted_lines()
    everyone = sasrec.training_data(lines, CUTOFF, PLANTED).train
    assert len(everyone.customers) == 120
    capped = dataclasses.replace(PLANTED, training_customers=50)
    sample = sasrec.training_data(lines, CUTOFF, capped).train
    again = sasrec.training_data(lines, CUTOFF, capped).train
    assert len(sample.customers) == 50 and np.isin(sample.customers, everyone.customers).all()
    np.testing.assert_array_equal(sample.customers, again.customers)  # the same sample each time
    rows = np.searchsorted(everyone.customers, sample.customers)
    np.testing.assert_array_equal(sample.items, everyone.items[rows])  # whole sequences, unchanged


def test_the_personal_frequency_and_the_mix_by_hand():
    lines = frame([(1, 1, day(0), 10), (1, 1, day(0), 20), (1, 2, day(1), 10), (2, 3, day(0), 30)])
    products = np.array([10, 20, 30])
    frequency = PersonalFrequency.of(lines, np.array([1, 2]), products)
    # customer 1: 10 in 2 of 2 baskets, 20 in 1 of 2; mean basket size 1.5; customer 2: 30
    np.testing.assert_allclose(frequency.share.toarray(), [[1.0, 0.5, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(frequency.basket_size, [1.5, 1.0])

    class Uniform:  # a model giving every product 1/3: the mix then follows the frequency
        products = np.array([10, 20, 30])

        def probabilities(self, sequences):
            yield sequences.customers, np.full((len(sequences.customers), 3), 1 / 3)

    seq = build_sequences(lines, products, slots=2, max_items=2)
    both = mixed_top_k(Uniform(), seq, lines, [0.5, 0.5], k=3, explore_only=True)  # asked twice, listed once
    lists = both[0.5]
    assert not lists.duplicated(["customer_id", "rank"]).any()
    # customer 1: 0.5 x (1, 0.5, 0) + 0.5 x 1.5 / 3 = 0.75, 0.5, 0.25
    assert lists[lists.customer_id == 1].product_id.tolist() == [10, 20, 30]
    assert lists[lists.customer_id == 2].product_id.tolist()[0] == 30
    # new products only: customer 1 never bought 30, customer 2 never bought 10 and 20
    new = both[EXPLORE_ONLY]
    assert new.groupby("customer_id").product_id.apply(list).to_dict() == {1: [30], 2: [10, 20]}


def test_unknown_methods_are_refused():
    task = NextBasketTask.from_lines(planted_lines(4), CUTOFF)
    with pytest.raises(ValueError, match="unknown next-basket methods"):
        methods.rank(task, ["popularity", "bert4rec"], 10, 30, SMALL)


def test_the_lists_are_stored_per_cutoff_and_reused(tmp_path):
    lines = planted_lines(40)
    settings = dataclasses.replace(PLANTED, max_epochs=2)
    names = ["p_topfreq", "sasrec", "sasrec_frequency_mix", "sasrec_explore"]
    reads = []

    def read_lines():
        reads.append(len(lines))
        return lines

    args = (read_lines, CUTOFF.date(), names, 3, 30, settings, tmp_path)
    said = []
    lists, meta = store.ensure_lists(*args, {"orders/a.parquet": 10}, echo=said.append)
    assert set(lists.method) == set(names)
    # an explore list never holds a product the customer bought before the cutoff
    bought = lines[lines.basket_time < CUTOFF][["customer_id", "product_id"]].drop_duplicates()
    explore = lists[lists.method == "sasrec_explore"].merge(bought)
    assert explore.empty and (lists.method == "sasrec_explore").any()
    assert meta["reason"] == "nothing stored for this cutoff" and meta["sasrec_history"]
    assert (store.cutoff_dir(tmp_path, CUTOFF.date()) / "sasrec.safetensors").exists()
    again, _ = store.ensure_lists(*args, {"orders/a.parquet": 10, "orders/b.parquet": 5}, echo=said.append)
    assert said[-1].endswith("reusing the stored lists")
    pd.testing.assert_frame_equal(again, lists)
    assert len(reads) == 1  # reusing the lists reads no order line
    _, changed = store.ensure_lists(*args, {"orders/a.parquet": 11}, echo=said.append)
    assert changed["reason"].startswith("landing changed")
    _, sampled = store.ensure_lists(*args, {"orders/a.parquet": 11}, sample_customers=20, echo=said.append)
    assert sampled["reason"] == "the methods or settings changed" and len(reads) == 3
    # the grid: 28-day steps on Mondays
    assert store.evaluation_cutoff(day(40).date(), 28, 7).weekday() == 0


def test_the_warehouse_lines_of_a_fixed_sample_of_the_customers_who_bought_before_the_cutoff():
    """Customers 1-5 in the hash order (id x 2654435761 mod 2^32, by hand): 5 (387,276,917),
    2 (1,013,904,226), 4 (2,027,808,452), 1 (2,654,435,761), 3 (3,668,339,987). Customer 5
    first buys on the cutoff, so a sample of two is customers 2 and 4, with all their lines
    before ``before``."""
    con = duckdb.connect()
    con.execute(
        "create table lines as select * from (values "
        "(1, 11, date '2026-01-01', 100), (2, 21, date '2026-01-02', 100), (2, 22, date '2026-01-20', 200), "
        "(3, 31, date '2026-01-03', 300), (4, 41, date '2026-01-04', 100), (4, 42, date '2026-01-25', 300), "
        "(5, 51, date '2026-01-10', 200)) t(customer_id, order_id, order_date, product_id)"
    )
    relation = con.table("lines")
    everyone = warehouse_lines(relation, "2026-01-22")
    assert sorted(everyone.basket_id) == [11, 21, 22, 31, 41, 51]
    sample = warehouse_lines(relation, "2026-01-22", "2026-01-10", 2)
    assert sorted(sample.basket_id) == [21, 22, 41] and list(sample.columns) == list(LINE_COLUMNS)
    assert sorted(warehouse_lines(relation, "2026-02-01", "2026-01-10", 3).basket_id) == [11, 21, 22, 41, 42]
    assert sorted(warehouse_lines(relation, "2026-01-22", "2026-01-11", 1).basket_id) == [51]


def test_a_cutoff_with_nothing_after_it_gives_no_lists_and_says_why(tmp_path):
    said = []
    lists, meta = store.ensure_lists(
        lambda: planted_lines(4), day(60).date(), ["p_topfreq"], 3, 30, PLANTED, tmp_path, {}, echo=said.append
    )
    assert lists.empty and list(lists.columns) == store.LIST_COLUMNS and meta == {}
    assert "no evaluation (no baskets before 2026-03-02 or none on or after it)" in said[-1]
    assert not (tmp_path / store.NEXT_BASKET_DIR).exists()


def test_a_sequence_as_of_a_date_holds_only_the_baskets_before_it():
    lines = frame(
        [
            (7, 1, day(0), 30), (7, 1, day(0), 10),
            (7, 2, day(3), 20),
            (7, 3, day(10), 10), (7, 3, day(10), 20), (7, 3, day(10), 30), (7, 3, day(10), 40),
            (8, 5, day(2), 20),
        ]
    )  # fmt: skip
    history = BasketHistory(lines, np.array([10, 20, 30, 40]), max_items=3)
    dates = np.array([day(10), day(11), day(3), day(5), day(2)], dtype="datetime64[s]")
    seq = history.sequences(np.array([7, 7, 8, 9, 8]), dates, slots=2)
    assert seq.items.tolist() == [
        [[1, 3, 0], [2, 0, 0]],  # before day 10: baskets 1 and 2
        [[2, 0, 0], [1, 2, 3]],  # before day 11: baskets 2 and 3
        [[0, 0, 0], [2, 0, 0]],  # customer 8 before day 3: its one basket
        [[0, 0, 0], [0, 0, 0]],  # customer 9: never bought
        [[0, 0, 0], [0, 0, 0]],  # customer 8 before day 2: nothing yet (strictly before)
    ]
    assert seq.gaps.tolist() == [[0, 4], [4, 5], [0, 0], [0, 0], [0, 0]]
    # the same as building the sequences from the lines before each date
    lines = planted_lines(30)
    products = np.arange(1, 10)
    history = BasketHistory(lines, products, max_items=2)
    rng = np.random.default_rng(1)
    customers, when = rng.integers(1, 31, 40), rng.integers(0, 32, 40)
    seq = history.sequences(customers, np.array([day(int(d)) for d in when], dtype="datetime64[s]"), slots=3)
    for i, (customer, d) in enumerate(zip(customers, when, strict=True)):
        mine = lines[(lines.customer_id == customer) & (lines.basket_time < day(int(d)))]
        expected = build_sequences(mine, products, slots=3, max_items=2)
        assert seq.items[i].tolist() == (expected.items[0].tolist() if len(mine) else [[0, 0]] * 3)
        assert seq.gaps[i].tolist() == (expected.gaps[0].tolist() if len(mine) else [0] * 3)


def test_set_membership_by_hand():
    set_products = pd.DataFrame({"product_set_id": [5, 5, 9, 9], "product_id": [10, 30, 30, 77]})
    matrix = offer_probability.set_membership(set_products, np.array([10, 20, 30]), np.array([5, 9]))
    # product 77 is not in the catalogue: it has no probability to add
    assert matrix.toarray().tolist() == [[1, 0], [0, 0], [1, 1]]


def test_the_offer_feature_is_its_anchor_models_probability_of_the_offers_products(tmp_path):
    lines = planted_lines(40)
    settings = dataclasses.replace(PLANTED, max_epochs=2)
    anchor = CUTOFF.date()  # day 25, a Monday: on the 7-day grid
    said = []
    args = (lines, [anchor + pd.Timedelta(days=3)], settings, 7, tmp_path, {"orders/a.parquet": 1})
    models = offer_probability.ensure_anchor_models(*args, echo=said.append)
    assert list(models) == [anchor] and said[0].endswith("training (no stored model)")
    model = models[anchor]
    set_products = pd.DataFrame({"product_set_id": [1, 2, 2, 3], "product_id": [2, 2, 3, 99]})
    pairs = pd.DataFrame(
        [(1, day(27), 1), (1, day(27), 2), (2, day(27), 2), (2, day(27), 3), (999, day(27), 1), (1, day(20), 1)],
        columns=["customer_id", "as_of_date", "product_set_id"],
    )
    out = offer_probability.offer_probabilities(lines, pairs, set_products, models, echo=said.append)
    # customer 999 has no basket, day 20 comes before the only anchor: no value
    assert out[["customer_id", "product_set_id"]].values.tolist() == [[1, 1], [1, 2], [2, 2], [2, 3]]
    assert (out.anchor_date == anchor).all() and (out.as_of_date == day(27).date()).all()
    # by hand: the model's next-basket probabilities of each customer's baskets before day 27
    sequences = model.sequences(lines[lines.basket_time < day(27)])
    customers, p = next(model.probabilities(sequences))
    column = {product: i for i, product in enumerate(model.products)}
    row = {customer: i for i, customer in enumerate(customers)}
    expected = [
        p[row[1], column[2]],
        p[row[1], column[2]] + p[row[1], column[3]],
        p[row[2], column[2]] + p[row[2], column[3]],
        0.0,  # product 99 is unknown to the model
    ]
    np.testing.assert_allclose(out.sasrec_offer_probability, expected, rtol=1e-5)
    # reused while the landing only grows; retrained when the settings change; pruned
    again = offer_probability.ensure_anchor_models(*args[:5], {"orders/a.parquet": 1, "b": 2}, echo=said.append)
    assert said[-1].endswith("reusing the stored model")
    np.testing.assert_array_equal(next(again[anchor].probabilities(sequences))[1], p)
    changed = (lines, args[1], dataclasses.replace(settings, max_epochs=1), 7, tmp_path, args[5])
    said.clear()
    offer_probability.ensure_anchor_models(*changed, echo=said.append)
    assert said[0].endswith("training (the sasrec settings changed)")
    offer_probability.ensure_anchor_models(lines, [day(4).date()], settings, 7, tmp_path, {}, echo=said.append)
    assert "no model, too little history" in said[-1]
    assert not (tmp_path / offer_probability.SASREC_DIR / anchor.isoformat()).exists()


def test_dbt_imports_torch_before_any_model_thread_starts():
    # the plugin is in the profile, and loading it leaves torch fully imported (a fresh process)
    profile = yaml.safe_load((project_root() / "profiles.yml").read_text())
    assert {"module": "metro_offers.dbt_plugin"} in profile["metro_offers"]["outputs"]["dev"]["plugins"]
    check = (
        "import sys; from metro_offers.dbt_plugin import Plugin; assert 'torch' not in sys.modules; "
        "Plugin(name='p', plugin_config={}); print(hasattr(sys.modules['torch'], 'Tensor'))"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"
