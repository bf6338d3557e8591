"""The steps of the data-generating process in order, for the whole history or for one
appended day. Each step is a function of small dataclasses (population.py, visits.py,
exposure.py, outcomes.py, tables.py); this module only runs them and reports progress."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from metro_offers.generator.config import DAY_STREAM, GeneratorConfig, Progress
from metro_offers.generator.exposure import draw_impressions
from metro_offers.generator.outcomes import Outcomes, TrueResponse, draw_outcomes
from metro_offers.generator.population import Population, draw_population
from metro_offers.generator.sampling import PairHistory
from metro_offers.generator.tables import fact_tables
from metro_offers.generator.visits import Lines, Orders, draw_lines, draw_orders, place_events
from metro_offers.reference import Reference, load_reference


@dataclass(frozen=True)
class Generated:
    """What a run produced: the raw tables, the outcomes (calibration, events not due yet),
    and the true model for the hidden truth."""

    tables: dict[str, pd.DataFrame]
    outcomes: Outcomes
    truth: TrueResponse


class Run:
    """One generation run: the configuration, the seeds, the reference data, progress lines."""

    def __init__(self, config: GeneratorConfig, reference: Reference | None = None, echo=print) -> None:
        config.validate()
        self.cfg = config
        self.ref = reference or load_reference()
        self.rng = np.random.default_rng(config.seed)  # the history's stream; the population's first
        self.progress = Progress(echo)
        self.day0 = np.datetime64(config.start_date, "D")

    def population(self) -> Population:
        return draw_population(self.cfg, self.ref, self.rng, self.day0, self.progress)

    def history(self) -> Generated:
        """Days 0 .. days-1: the population, visits, audiences, outcomes."""
        population = self.population()
        last_day = self.cfg.days - 1
        orders, lines = self._visits(population, np.arange(self.cfg.days), self.rng)
        impressions = draw_impressions(self.cfg, population, range(0, last_day + 1), last_day, self.rng)
        self.progress.done("impressions", len(impressions.day))
        truth = TrueResponse(population, _purchase_history(population, orders, lines), self.cfg.seed)
        outcomes = draw_outcomes(self.cfg, self.ref, truth, impressions, self.rng, last_day, first_impression_id=1)
        self._report_outcomes(outcomes)
        orders, events = place_events(orders, lines, outcomes.events, population.customers.home_store)
        facts = fact_tables(population, orders, lines, impressions, events, self.day0, 1, 1, 1)
        self._report_facts(facts)
        return Generated({**population.tables(), **facts}, outcomes, truth)

    def day(self, day: int, landed_lines: pd.DataFrame, calibration: dict, pending: dict, next_ids: dict) -> Generated:
        """One more day after the history (index ``day``): its visits, the audiences of offers
        launching on it, and the events falling on it, both those decided earlier
        (``pending``) and today's. ``landed_lines`` (c, p, d: customer and product index,
        day) is the purchase history as landed, for bought-before and recency."""
        population = self.population()
        rng = np.random.default_rng([self.cfg.seed, DAY_STREAM, day])
        orders, lines = self._visits(population, np.array([day]), rng)
        history = PairHistory(
            landed_lines.c.to_numpy(),
            landed_lines.p.to_numpy(),
            population.catalogue.category_idx[landed_lines.p.to_numpy()],
            landed_lines.d.to_numpy(),
        )
        impressions = draw_impressions(self.cfg, population, range(day, day + 1), day, rng)
        self.progress.done("impressions", len(impressions.day))
        truth = TrueResponse(population, history, self.cfg.seed)
        today = draw_outcomes(
            self.cfg, self.ref, truth, impressions, rng, day, next_ids["next_impression_id"], calibration
        )
        self._report_outcomes(today)
        due = pending["day"] <= day
        events = {k: np.concatenate([pending[k][due], today.events[k]]) for k in today.events}
        still_pending = {k: np.concatenate([pending[k][~due], today.pending[k]]) for k in today.pending}
        orders, events = place_events(orders, lines, events, population.customers.home_store)
        facts = fact_tables(
            population,
            orders,
            lines,
            impressions,
            events,
            self.day0,
            next_ids["next_order_id"],
            next_ids["next_impression_id"],
            next_ids["next_redemption_id"],
        )
        self._report_facts(facts)
        return Generated(facts, Outcomes(today.calibration, events, still_pending), truth)

    def _visits(self, population: Population, days: np.ndarray, rng: np.random.Generator) -> tuple[Orders, Lines]:
        orders = draw_orders(self.cfg, self.ref, population, days, self.day0, rng)
        self.progress.done("orders (visits)", len(orders.day))
        lines = draw_lines(self.cfg, self.ref, population, orders, rng)
        self.progress.done("order items (baskets)", len(lines.order_idx))
        return orders, lines

    def _report_outcomes(self, outcomes: Outcomes) -> None:
        self.progress.done("outcomes (redemptions)", len(outcomes.events["day"]) + len(outcomes.pending["day"]))

    def _report_facts(self, facts: dict) -> None:
        self.progress.done("orders (with redemptions)", len(facts["orders"]))
        self.progress.done("redemptions", len(facts["redemptions"]))


def _purchase_history(population: Population, orders: Orders, lines: Lines) -> PairHistory:
    return PairHistory(
        customer=orders.customer_idx[lines.order_idx],
        product=lines.product_idx,
        category=population.catalogue.category_idx[lines.product_idx],
        day=orders.day[lines.order_idx],
    )
