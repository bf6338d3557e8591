"""Adapters that land real data sets in the raw contract (docs/architecture.md §2)."""
