"""Validate the landing zone against the raw contract before dbt reads it.

Two layers of checks, reported together:

* the contract itself (every table present, every column present with its contract type),
  read from the Parquet schemas: a breach here means the warehouse cannot be built;
* a Great Expectations suite per table (keys not null and unique, values in range or in a
  known set) on the files not validated before: a daily run checks the day it lands, not
  the whole history again (``_validated.json`` in the landing zone lists what passed).
  Individual bad rows are the staging layer's job (it quarantines them in
  ``rejected_rows``); the suite fails only when more than ``landing_max_bad_row_share`` of the
  new rows break a rule, i.e. when a landing is broken rather than a few rows dirty. New
  files are read in groups of up to VALIDATION_BATCH_ROWS rows in landing order (the share
  and key uniqueness are judged per group), so memory is bounded whatever the history's size.

The report names table, column, rule, how many rows of which files broke it and example rows.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from metro_offers.raw_contract import PRIMARY_KEYS, RAW_SCHEMAS, RAW_TABLES
from metro_offers.reference import SEGMENTS

# New rows validated together at most (about 1.5 GB in pandas for order lines): bounds the
# memory whatever the size of the history landed at once.
VALIDATION_BATCH_ROWS = 20_000_000

DUCKDB_TYPES = {
    "int64": "BIGINT",
    "int32": "INTEGER",
    "string": "VARCHAR",
    "large_string": "VARCHAR",
    "date32[day]": "DATE",
    "double": "DOUBLE",
    "bool": "BOOLEAN",
}


@dataclass
class Finding:
    table: str
    column: str
    rule: str
    detail: str
    examples: list[dict] = field(default_factory=list)

    def render(self) -> str:
        lines = [f"  - {self.table}.{self.column}: {self.rule} — {self.detail}"]
        for example in self.examples:
            lines.append(f"      e.g. {example}")
        return "\n".join(lines)


@dataclass
class ValidationReport:
    raw_dir: Path
    findings: list[Finding] = field(default_factory=list)
    row_counts: dict[str, int] = field(default_factory=dict)
    files_checked: dict[str, list[str]] = field(default_factory=dict)
    checks_run: int = 0

    @property
    def success(self) -> bool:
        return not self.findings

    def render(self) -> str:
        head = f"Landing zone {self.raw_dir}: {self.checks_run} checks on {len(self.row_counts)} tables"
        if self.success:
            counts = ", ".join(f"{t} {n:,}" for t, n in self.row_counts.items())
            return f"{head}: all passed ({counts})"
        body = "\n".join(f.render() for f in self.findings)
        return f"{head}: {len(self.findings)} FAILED\n{body}"


class LandingValidationError(RuntimeError):
    def __init__(self, report: ValidationReport) -> None:
        super().__init__(report.render())
        self.report = report


def _expectations(table: str, max_bad_share: float) -> list:
    import great_expectations as gx

    mostly = 1.0 - max_bad_share
    e = gx.expectations
    suite = []
    key = PRIMARY_KEYS[table]
    for column in key:
        suite.append(e.ExpectColumnValuesToNotBeNull(column=column, mostly=mostly))
    if len(key) == 1:
        suite.append(e.ExpectColumnValuesToBeUnique(column=key[0], mostly=mostly))
    else:
        suite.append(e.ExpectCompoundColumnsToBeUnique(column_list=list(key), mostly=mostly))
    rules = {
        "customers": [
            e.ExpectColumnValuesToBeInSet(column="segment", value_set=list(SEGMENTS), mostly=mostly),
            e.ExpectColumnValuesToNotBeNull(column="signup_date", mostly=mostly),
        ],
        "products": [
            e.ExpectColumnValuesToBeBetween(column="base_price", min_value=0, strict_min=True, mostly=mostly),
            e.ExpectColumnValuesToBeBetween(column="unit_cost", min_value=0, mostly=mostly),
        ],
        "offers": [
            e.ExpectColumnValuesToBeInSet(column="offer_level", value_set=["product", "category"], mostly=mostly),
            e.ExpectColumnValuesToBeBetween(
                column="discount_pct", min_value=0, max_value=1, strict_min=True, strict_max=True, mostly=mostly
            ),
            e.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="end_date", column_B="start_date", or_equal=True, mostly=mostly
            ),
        ],
        "offer_products": [],
        "orders": [e.ExpectColumnValuesToNotBeNull(column=c, mostly=mostly) for c in ("customer_id", "order_date")],
        "order_items": [
            e.ExpectColumnValuesToBeBetween(column="quantity", min_value=1, mostly=mostly),
            e.ExpectColumnValuesToBeBetween(column="unit_price", min_value=0, mostly=mostly),
            e.ExpectColumnValuesToBeBetween(column="discount_amount", min_value=0, mostly=mostly),
        ],
        "impressions": [
            e.ExpectColumnValuesToBeInSet(
                column="policy", value_set=["targeted", "explore", "control", "unknown"], mostly=mostly
            ),
            e.ExpectColumnValuesToBeBetween(
                column="selection_propensity", min_value=0, max_value=1, strict_min=True, mostly=mostly
            ),
            e.ExpectColumnValuesToNotBeNull(column="is_control", mostly=mostly),
        ],
        "redemptions": [
            e.ExpectColumnValuesToNotBeNull(column=c, mostly=mostly)
            for c in ("impression_id", "order_id", "product_id", "redemption_date")
        ],
    }
    return suite + rules[table]


def _rule_name(config) -> tuple[str, str]:
    kwargs = {k: v for k, v in config.kwargs.items() if k not in ("batch_id", "column", "column_list")}
    column = config.kwargs.get("column") or ",".join(config.kwargs.get("column_list") or []) or "*"
    args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    return column, f"{config.type}({args})"


def _contract_findings(con, table: str, glob: str) -> list[Finding]:
    schema = con.sql(f"describe select * from read_parquet('{glob}', union_by_name = true)").fetchall()
    landed = {row[0]: row[1] for row in schema}
    findings = []
    for column, dtype in RAW_SCHEMAS[table].items():
        expected = DUCKDB_TYPES[str(dtype)]
        if column not in landed:
            findings.append(Finding(table, column, "column_present", f"missing; landed columns: {sorted(landed)}"))
        elif landed[column] != expected:
            findings.append(
                Finding(table, column, "column_type", f"landed as {landed[column]}, contract says {expected}")
            )
    return findings


VALIDATED_FILES = "_validated.json"


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _validated_files(raw_dir: Path) -> dict[str, str]:
    path = raw_dir / VALIDATED_FILES
    return json.loads(path.read_text()) if path.exists() else {}


def validate_landing_zone(raw_dir: Path, max_bad_share: float = 0.01, echo=print) -> ValidationReport:
    """Check every raw table under ``raw_dir``; returns the report (raise with ``ensure_valid``).

    The contract and row counts are checked on every file; the expectation suite on the
    files that are new or changed since the last successful validation."""
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    raw_dir = Path(raw_dir)
    report = ValidationReport(raw_dir)
    con = duckdb.connect()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    source = context.data_sources.add_pandas("landing_zone")
    validated = _validated_files(raw_dir)
    for table in RAW_TABLES:
        files = sorted((raw_dir / table).glob("*.parquet"))
        report.checks_run += 1
        if not files:
            report.findings.append(Finding(table, "*", "table_present", f"no Parquet files in {raw_dir / table}"))
            continue
        glob = str(raw_dir / table / "*.parquet")
        contract = _contract_findings(con, table, glob)
        report.checks_run += len(RAW_SCHEMAS[table])
        if contract:
            report.findings.extend(contract)
            continue
        total_rows = con.sql(f"select count(*) from read_parquet('{glob}')").fetchall()[0][0]
        report.row_counts[table] = total_rows
        report.checks_run += 1
        if total_rows == 0:
            report.findings.append(Finding(table, "*", "row_count", "the table has no rows"))
            continue
        new_files = [f for f in files if validated.get(str(f.relative_to(raw_dir))) != _fingerprint(f)]
        report.files_checked[table] = [str(f.relative_to(raw_dir)) for f in new_files]
        if not new_files:
            echo(f"[validate] {table:<12} no new files")
            continue
        columns = ", ".join(RAW_SCHEMAS[table])
        files_in = source.add_dataframe_asset(table).add_batch_definition_whole_dataframe("files")
        suite = gx.ExpectationSuite(name=f"landing_{table}", expectations=_expectations(table, max_bad_share))
        for group in _file_groups(new_files):
            file_list = ", ".join(f"'{f}'" for f in group)
            frame = con.sql(f"select {columns} from read_parquet([{file_list}], union_by_name = true)").df()
            result = files_in.get_batch(batch_parameters={"dataframe": frame}).validate(
                suite,
                result_format={
                    "result_format": "SUMMARY",
                    "partial_unexpected_count": 3,
                    "unexpected_index_column_names": list(PRIMARY_KEYS[table]),
                },
            )
            report.checks_run += len(result.results)
            names = group[0].name if len(group) == 1 else f"{len(group)} files, {group[0].name} .. {group[-1].name}"
            report.findings.extend(_failed_rules(table, names, result))
            status = "ok" if result.success else "FAILED"
            echo(f"[validate] {table:<12} {len(frame):>12,} new rows in {names}  {status}")
            del frame
    con.close()
    return report


def _file_groups(files: list[Path]) -> list[list[Path]]:
    """The new files in landing order, read together in groups of up to VALIDATION_BATCH_ROWS
    rows: memory is bounded by a group, and a small file (a day, a correction) is judged
    with the files landed before it, as one landing, rather than alone (one bad row in
    three is not a broken landing)."""
    groups, rows = [[]], 0
    for file in files:
        count = pq.ParquetFile(file).metadata.num_rows
        if groups[-1] and rows + count > VALIDATION_BATCH_ROWS:
            groups.append([])
            rows = 0
        groups[-1].append(file)
        rows += count
    return groups


def _failed_rules(table: str, file_name: str, result) -> list[Finding]:
    findings = []
    for outcome in result.results:
        if outcome.success:
            continue
        column, rule = _rule_name(outcome.expectation_config)
        res = outcome.result or {}
        if "unexpected_count" in res:
            detail = f"{res['unexpected_count']:,} of {res.get('element_count', 0):,} rows break it"
        elif outcome.exception_info and outcome.exception_info.get("raised_exception"):
            detail = f"could not be evaluated: {outcome.exception_info.get('exception_message')}"
        else:
            detail = f"observed {res.get('observed_value')}"
        examples = [
            {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in res.get("partial_unexpected_index_list") or []
        ]
        findings.append(Finding(table, column, rule, f"{detail} in {file_name}", examples))
    return findings


def ensure_valid(raw_dir: Path, max_bad_share: float = 0.01, echo=print) -> ValidationReport:
    """Validate; raise LandingValidationError on failure, else remember the files as validated."""
    raw_dir = Path(raw_dir)
    report = validate_landing_zone(raw_dir, max_bad_share, echo=echo)
    if not report.success:
        raise LandingValidationError(report)
    validated = _validated_files(raw_dir)
    for files in report.files_checked.values():
        validated.update({name: _fingerprint(raw_dir / name) for name in files})
    (raw_dir / VALIDATED_FILES).write_text(json.dumps(validated, indent=2, sort_keys=True))
    echo(f"[validate] {report.render()}")
    return report
