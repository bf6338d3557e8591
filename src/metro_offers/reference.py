"""Reference data shared by the generator and the warehouse.

The dbt seeds under ``seeds/`` are the single source of these parameters: the generator
reads the same CSV files that ``dbt seed`` loads, so segment shares, category preferences,
holiday multipliers and weekly/monthly cycles are defined once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SEGMENTS = ("budget", "premium", "family", "horeca")


def project_root() -> Path:
    """The dbt project root: the nearest folder above this file holding dbt_project.yml."""
    for folder in Path(__file__).resolve().parents:
        if (folder / "dbt_project.yml").exists():
            return folder
    raise FileNotFoundError(
        "dbt_project.yml not found above the metro_offers package; "
        "install the package in editable mode from a clone (pip install -e .)"
    )


@dataclass(frozen=True)
class Reference:
    segments: pd.DataFrame
    categories: pd.DataFrame
    holidays: pd.DataFrame
    cycles: pd.DataFrame

    def day_multipliers(self, dates: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
        """(cycle multiplier, holiday multiplier) for each date.

        The cycle part (weekday x payday) is divided by its mean over the whole calendar of
        the seeds (every day of the holiday calendar's years), so a segment's
        ``visits_per_month`` is its average rate outside holidays, and a day gets the same
        multiplier whether it is generated in the history or appended later.
        """
        first = pd.Timestamp(self.holidays.start_date.min().year, 1, 1)
        last = pd.Timestamp(self.holidays.end_date.max().year, 12, 31)
        normaliser = self._cycle(pd.date_range(first, last)).mean()
        holiday = np.ones(len(dates))
        for row in self.holidays.itertuples():
            inside = (dates >= pd.Timestamp(row.start_date)) & (dates <= pd.Timestamp(row.end_date))
            holiday[inside] = row.demand_multiplier
        return self._cycle(dates) / normaliser, holiday

    def _cycle(self, dates: pd.DatetimeIndex) -> np.ndarray:
        weekday = self.cycles[self.cycles.cycle_type == "weekday"].set_index("cycle_key")["multiplier"]
        payday = self.cycles[self.cycles.cycle_type == "payday"].set_index("cycle_key")["multiplier"]
        iso_weekday = np.asarray(dates.day_of_week) + 1
        return (
            weekday.reindex(iso_weekday).fillna(1.0).to_numpy()
            * payday.reindex(np.asarray(dates.day)).fillna(1.0).to_numpy()
        )

    def holiday_windows(self, start: dt.date, end: dt.date) -> pd.DataFrame:
        """Holiday windows that lie entirely inside [start, end]."""
        h = self.holidays
        return h[(h.start_date >= pd.Timestamp(start)) & (h.end_date <= pd.Timestamp(end))]


def load_evaluation_methods(seeds_dir: Path | None = None) -> pd.DataFrame:
    """The offline evaluation's built-in methods (seeds/evaluation_methods.csv): method,
    label, kind (reference, baseline, learned), in report order."""
    seeds_dir = seeds_dir or project_root() / "seeds"
    methods = pd.read_csv(seeds_dir / "evaluation_methods.csv")
    return methods.sort_values("report_order", ignore_index=True)


def load_reference(seeds_dir: Path | None = None) -> Reference:
    seeds_dir = seeds_dir or project_root() / "seeds"
    segments = pd.read_csv(seeds_dir / "segments.csv")
    segments = segments.set_index("segment").loc[list(SEGMENTS)].reset_index()
    categories = pd.read_csv(seeds_dir / "categories.csv").sort_values("category_id", ignore_index=True)
    holidays = pd.read_csv(seeds_dir / "holiday_calendar.csv", parse_dates=["start_date", "end_date"])
    cycles = pd.read_csv(seeds_dir / "demand_cycles.csv")
    return Reference(segments, categories, holidays, cycles)
