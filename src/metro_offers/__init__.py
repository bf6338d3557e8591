"""metro-offers: personalised offers for a cash-and-carry wholesaler (dbt + DuckDB)."""

__version__ = "0.1.0"
