"""A dbt-duckdb plugin (listed in profiles.yml) that imports PyTorch when dbt opens the
warehouse, before any model runs.

dbt runs Python models in threads of one process. While one thread is importing torch for the
first time (SASRec, Wide & Deep), scipy code in another (gensim, scikit-learn) looks the
half-imported module up in sys.modules and fails with "partially initialized module 'torch'
has no attribute 'Tensor'". dbt-duckdb creates its environment, plugins first, once and under
a lock that every model's connection waits on, so importing torch here closes that window.
"""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        import torch  # noqa: F401 - imported for its side effect: complete before any model thread starts
