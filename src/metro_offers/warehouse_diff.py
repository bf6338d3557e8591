"""Two warehouses compared table by table: identical, equal after rounding doubles to a
number of significant digits (DuckDB's parallel float sums differ in the last bits from run
to run), or different (how many rows are in one and not the other). The daily run's
benchmark and tests use it to show that daily runs give the warehouse a full rebuild gives."""

from __future__ import annotations

from pathlib import Path

import duckdb

IDENTICAL, ROUNDED_EQUAL, ONE_SIDED = "identical", "equal after rounding", "in one warehouse only"
SKIPPED_SCHEMAS = ("ops",)  # the run log differs by design: one row per run, with its timings


def _tables(con, alias: str) -> set[tuple[str, str]]:
    skipped = ", ".join(f"'{schema}'" for schema in SKIPPED_SCHEMAS)
    rows = con.sql(
        f"select schema_name, table_name from duckdb_tables() "
        f"where database_name = '{alias}' and schema_name not in ({skipped})"
    ).fetchall()
    return set(rows)


def _rounded(con, alias: str, schema: str, table: str, digits: int) -> str:
    """A select of the table with every double rounded to ``digits`` significant digits."""
    columns = con.sql(
        f"select column_name, data_type from duckdb_columns() where database_name = '{alias}' "
        f"and schema_name = '{schema}' and table_name = '{table}' order by column_index"
    ).fetchall()
    rendered = []
    for column, data_type in columns:
        name = f'"{column}"'
        if data_type in ("DOUBLE", "FLOAT"):
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


def compare_warehouses(first: Path, second: Path, digits: int = 9) -> dict[str, str]:
    """A verdict per table ("schema.table") of either warehouse: IDENTICAL, ROUNDED_EQUAL,
    ONE_SIDED or "differ: n of m rows" (n rows in one and not the other, m rows in ``first``)."""
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
            exact = _rows_not_shared(
                con, f"select * from first_wh.{schema}.{table}", f"select * from second_wh.{schema}.{table}"
            )
            if exact == 0:
                verdicts[key] = IDENTICAL
                continue
            rounded = _rows_not_shared(
                con, _rounded(con, "first_wh", schema, table, digits), _rounded(con, "second_wh", schema, table, digits)
            )
            rows = con.execute(f"select count(*) from first_wh.{schema}.{table}").fetchall()[0][0]
            verdicts[key] = ROUNDED_EQUAL if rounded == 0 else f"differ: {rounded} of {rows} rows"
        return verdicts
