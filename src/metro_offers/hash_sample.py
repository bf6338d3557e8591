"""Deterministic samples of DuckDB relations, for the steps whose cost must stop growing with
the customer base."""

from __future__ import annotations


def residue_classes(count: int, cap: int) -> int:
    """How many residue classes of a hash to split ``count`` items into so that one class
    holds at most about ``cap`` of them (1: keep everything)."""
    return max(1, -(-count // max(1, int(cap))))


def hash_sample(relation, max_rows: int, keys: str):
    """At most about ``max_rows`` rows of a DuckDB relation (the relation itself when it is
    smaller): the rows whose hash of ``keys`` (SQL, e.g. "customer_id, offer_id") falls in one
    residue class, so every build over the same rows draws the same sample."""
    rows = relation.aggregate("count(*)").fetchall()[0][0]
    step = residue_classes(rows, max_rows)
    return relation.filter(f"hash({keys}) % {step} = 0") if step > 1 else relation
