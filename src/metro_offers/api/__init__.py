"""The serving API over the published snapshot: schema.py (the OpenAPI models), prepared.py
(the snapshot in memory, responses as prepared JSON), store.py (hot swap), app.py (routes,
the fast path, workers)."""

from metro_offers.api.app import create_app
from metro_offers.api.schema import MAX_BATCH

__all__ = ["MAX_BATCH", "create_app"]
