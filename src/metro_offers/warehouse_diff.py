"""Two warehouses compared table by table: identical, equal up to a relative tolerance on
doubles (DuckDB's parallel float sums differ in the last bits from run to run), or different
(how many rows are in one and not the other). The daily run's benchmark and tests use it to
show that daily runs give the warehouse a full rebuild gives.

Doubles are compared row by row where the table's other columns identify its rows (its key);
rounding both sides instead would call 413.7634375 (a sum of cents over 32 orders) and its
neighbour one bit away different whenever the exact value sits on a rounding half. A table
without such a key is compared with its doubles rounded to the tolerance's digits."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb

IDENTICAL, NEAR_EQUAL, ONE_SIDED = "identical", "equal within tolerance", "in one warehouse only"
COLUMNS_DIFFER = "columns differ (names or types)"
FLOATS = ("DOUBLE", "FLOAT")
SKIPPED_SCHEMAS = ("ops",)  # the run log differs by design: one row per run, with its timings


def _tables(con, alias: str) -> set[tuple[str, str]]:
    skipped = ", ".join(f"'{schema}'" for schema in SKIPPED_SCHEMAS)
    rows = con.sql(
        f"select schema_name, table_name from duckdb_tables() "
        f"where database_name = '{alias}' and schema_name not in ({skipped})"
    ).fetchall()
    return set(rows)


def _columns(con, alias: str, schema: str, table: str) -> list[tuple[str, str]]:
    return con.sql(
        f"select column_name, data_type from duckdb_columns() where database_name = '{alias}' "
        f"and schema_name = '{schema}' and table_name = '{table}' order by column_index"
    ).fetchall()


def _rounded(con, alias: str, schema: str, table: str, digits: int) -> str:
    """A select of the table with every double rounded to ``digits`` significant digits."""
    rendered = []
    for column, data_type in _columns(con, alias, schema, table):
        name = f'"{column}"'
        if data_type in FLOATS:
            rendered.append(
                f"case when {name} is null or {name} = 0 or isnan({name}) or isinf({name}) then {name} "
                f"else round({name}, {digits} - 1 - cast(floor(log10(abs({name}))) as integer)) end"
            )
        else:
            rendered.append(name)
    return f"select {', '.join(rendered)} from {alias}.{schema}.{table}"


def _rows_not_shared(con, first: str, second: str) -> int:
    return con.execute(
        f"select (select count(*) from ({first} except all {second})) "
        f"+ (select count(*) from ({second} except all {first}))"
    ).fetchall()[0][0]


def _is_key(con, relation: str, key: list[str]) -> bool:
    columns = ", ".join(key)
    return con.execute(f"select count(*) = count(distinct ({columns})) from {relation}").fetchall()[0][0]


def _keyed_rows_differing(con, first: str, second: str, key: list[str], floats: list[str], tolerance: float) -> int:
    """Rows of either relation with no partner of the same key, or whose doubles differ by
    more than ``tolerance`` relative to the larger of the two."""
    same_key = " and ".join(f"x.{c} is not distinct from y.{c}" for c in key)
    differs = [
        f"not (x.{c} is not distinct from y.{c} or (isnan(x.{c}) and isnan(y.{c})) "
        f"or abs(x.{c} - y.{c}) <= {tolerance} * greatest(abs(x.{c}), abs(y.{c})))"
        for c in floats
    ]
    # a full outer join: a row without a partner counts once, a differing pair twice (as in
    # the unkeyed comparison: one row in each warehouse that the other lacks)
    return con.execute(
        f"select count(*) filter (where x_present is null or y_present is null) "
        f"+ 2 * count(*) filter (where x_present and y_present and ({' or '.join(differs)})) "
        f"from (select *, true as x_present from {first}) as x "
        f"full outer join (select *, true as y_present from {second}) as y on {same_key}"
    ).fetchall()[0][0]


def compare_warehouses(first: Path, second: Path, tolerance: float = 1e-9) -> dict[str, str]:
    """A verdict per table ("schema.table") of either warehouse: IDENTICAL, NEAR_EQUAL (doubles
    within ``tolerance``, relative), ONE_SIDED, COLUMNS_DIFFER or "differ: n of m rows" (n rows
    in one and not the other, m rows in ``first``)."""
    digits = round(-math.log10(tolerance))
    with duckdb.connect() as con:
        con.execute(f"attach '{first}' as first_wh (read_only)")
        con.execute(f"attach '{second}' as second_wh (read_only)")
        in_first, in_second = _tables(con, "first_wh"), _tables(con, "second_wh")
        verdicts = {}
        for schema, table in sorted(in_first | in_second):
            key = f"{schema}.{table}"
            if (schema, table) not in in_first & in_second:
                verdicts[key] = ONE_SIDED
                continue
            a, b = f"first_wh.{schema}.{table}", f"second_wh.{schema}.{table}"
            columns = _columns(con, "first_wh", schema, table)
            if columns != _columns(con, "second_wh", schema, table):
                verdicts[key] = COLUMNS_DIFFER  # rows would compare through implicit casts
                continue
            if _rows_not_shared(con, f"select * from {a}", f"select * from {b}") == 0:
                verdicts[key] = IDENTICAL
                continue
            floats = [f'"{c}"' for c, data_type in columns if data_type in FLOATS]
            others = [f'"{c}"' for c, data_type in columns if data_type not in FLOATS]
            if floats and others and _is_key(con, a, others) and _is_key(con, b, others):
                differing = _keyed_rows_differing(con, a, b, others, floats, tolerance)
            else:
                rounded = [_rounded(con, alias, schema, table, digits) for alias in ("first_wh", "second_wh")]
                differing = _rows_not_shared(con, *rounded)
            rows = con.execute(f"select count(*) from {a}").fetchall()[0][0]
            verdicts[key] = NEAR_EQUAL if differing == 0 else f"differ: {differing} of {rows} rows"
        return verdicts
