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
