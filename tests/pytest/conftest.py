"""Shared fixtures: small generated data sets, written once per test session."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from metro_offers.generator import GeneratorConfig, generate
from metro_offers.raw_contract import RAW_TABLES, TRUTH_TABLES

# One year, so Christmas and Easter both fall inside; small enough for seconds.
YEAR_CONFIG = GeneratorConfig(customers=4_000, products=2_000, offers=120, days=365, end_date=dt.date(2026, 10, 31))


def read_tables(data_dir: Path) -> dict[str, pd.DataFrame]:
    def read(folder: Path) -> pd.DataFrame:
        return pq.read_table(folder).to_pandas(date_as_object=False)

    tables = {name: read(data_dir / "raw" / name) for name in RAW_TABLES}
    tables.update({name: read(data_dir / "truth" / name) for name in TRUTH_TABLES})
    return tables


@pytest.fixture(scope="session")
def year_dataset(tmp_path_factory) -> tuple[GeneratorConfig, dict, dict[str, pd.DataFrame]]:
    out = tmp_path_factory.mktemp("year")
    manifest = generate(YEAR_CONFIG, out, echo=lambda _: None)
    return YEAR_CONFIG, manifest, read_tables(out)
