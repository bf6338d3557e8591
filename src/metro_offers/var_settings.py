"""The dbt vars (dbt_project.yml, the one home of parameters and of the names SQL and Python
share) and model settings read from them."""

from __future__ import annotations

import dataclasses
import functools

import yaml

from metro_offers.reference import project_root

# Names declared once as vars and read by Python from dbt_project.yml itself: a --vars
# override would change them for SQL only, so commands refuse one (pipeline.var_overrides).
DECLARED_NAMES = ("ranker_numeric_features", "ranker_categorical_features", "pool_names")


@functools.cache
def project_vars() -> dict:
    """The project's dbt vars as dbt_project.yml declares them (read once per process)."""
    return yaml.safe_load((project_root() / "dbt_project.yml").read_text())["vars"]


TYPES = {"int": int, "float": float}


def settings_from_vars(cls, prefix: str, values: dict):
    """An instance of the settings dataclass ``cls`` from the vars <prefix>_<field> (or a dbt
    Python model's meta, whose values are strings), each converted to its field's type; a
    missing var is an error, never a silent default."""
    fields = dataclasses.fields(cls)
    missing = [f"{prefix}_{f.name}" for f in fields if f"{prefix}_{f.name}" not in values]
    if missing:
        raise KeyError(f"{cls.__name__} lacks the vars {', '.join(missing)}")
    return cls(**{f.name: TYPES[f.type](values[f"{prefix}_{f.name}"]) for f in fields})
