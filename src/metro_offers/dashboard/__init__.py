"""The analysts' Streamlit dashboard over the published serving snapshot (never the warehouse)."""
