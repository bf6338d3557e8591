"""The deterministic hash samples (metro_offers.hash_sample) that bound the cost of training and evaluation steps."""

from __future__ import annotations

import duckdb

from metro_offers.hash_sample import hash_sample


def test_a_hash_sample_is_one_residue_class_of_the_hash():
    con = duckdb.connect()
    relation = con.sql("select range as impression_id from range(1000)")
    assert hash_sample(relation, 1000, "impression_id") is relation  # no larger than the cap: all of it
    sample = hash_sample(relation, 300, "impression_id")  # ceil(1000 / 300) = 4 classes, the first kept
    kept = con.sql("select range as impression_id from range(1000) where hash(range) % 4 = 0")
    assert sorted(sample.fetchall()) == sorted(kept.fetchall())
    assert 150 < len(sample.fetchall()) < 350
    assert sorted(hash_sample(relation, 300, "impression_id").fetchall()) == sorted(sample.fetchall())


def test_the_evaluation_pool_keeps_whole_lists_of_about_the_cap_of_customers():
    from metro_offers.ranking.data import sample_evaluation_lists

    con = duckdb.connect()
    # 1,000 evaluation customers with 3 candidates each, and a training pool of 10 customers
    pool = con.sql(
        "select 'evaluation' as pool, c.range as customer_id, o.range as offer_id "
        "from range(1000) as c, range(3) as o "
        "union all select 'training_1', range, 0 from range(10)"
    )
    assert sorted(sample_evaluation_lists(pool, 1000).fetchall()) == sorted(pool.fetchall())  # at the cap: all
    sample = sample_evaluation_lists(pool, 300)  # ceil(1000 / 300) = 4 classes, the first kept
    rows = sample.fetchall()
    kept = {c for (c,) in con.sql("select range from range(1000) where hash(range) % 4 = 0").fetchall()}
    evaluation = [(c, o) for p, c, o in rows if p == "evaluation"]
    assert sorted(evaluation) == sorted((c, o) for c in kept for o in range(3))  # whole lists of those customers
    assert 150 < len(kept) < 350
    assert sorted((c, o) for p, c, o in rows if p == "training_1") == [(c, 0) for c in range(10)]  # untouched
