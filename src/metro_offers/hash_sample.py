"""Deterministic samples of DuckDB relations, for the steps whose cost must stop growing with
the customer base."""

from __future__ import annotations


def hash_sample(relation, max_rows: int, keys: str):
    """At most about ``max_rows`` rows of a DuckDB relation (the relation itself when it is
    smaller): the rows whose hash of ``keys`` (SQL, e.g. "customer_id, offer_id") falls in one
    residue class, so every build over the same rows draws the same sample."""
    rows = relation.aggregate("count(*)").fetchall()[0][0]
    step = max(1, -(-rows // max(1, int(max_rows))))
    return relation.filter(f"hash({keys}) % {step} = 0") if step > 1 else relation
