"""Typed output of the dbt Python models: an empty pandas frame reaches DuckDB with
columns of type NULL, which the contracted marts (and dbt unit tests reading their inputs'
types) refuse, so every model returns an Arrow table with its schema, rows or none."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pyarrow as pa

ARROW_TYPES = {
    "string": pa.string(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
}


def typed_table(frame: pd.DataFrame | None, columns: dict[str, str]) -> pa.Table:
    """``frame``'s ``columns`` (name -> string, int64, float64, bool or date) as an Arrow table;
    an empty table of that schema when there is no frame or no row."""
    schema = pa.schema([(name, ARROW_TYPES[kind]) for name, kind in columns.items()])
    if frame is None or frame.empty:
        return schema.empty_table()
    return pa.Table.from_pandas(frame[list(columns)], schema=schema, preserve_index=False)


def typed_batches(frames: Iterable[pd.DataFrame], columns: dict[str, str]) -> pa.Table:
    """The frames' ``columns`` as one Arrow table, each frame converted as it comes: no pandas
    concat, whose copy would double the peak memory of an output with a row per candidate."""
    tables = [typed_table(frame, columns) for frame in frames]
    return pa.concat_tables(tables) if tables else typed_table(None, columns)
