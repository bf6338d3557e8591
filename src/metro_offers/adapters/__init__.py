"""Adapters that land real data sets in the raw contract (DESIGN.md §7)."""
