"""Model settings read from the dbt vars, their one home (dbt_project.yml)."""

from __future__ import annotations

import dataclasses

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
