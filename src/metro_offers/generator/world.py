"""The steps of the data-generating process in order, for the history (in chunks of
customers) or for one appended day. Each step is a function of small dataclasses
(population.py, visits.py, exposure.py, outcomes.py, tables.py); this module only runs them
and reports progress.

The history's per-customer draws come from random streams of their block of
BLOCK_CUSTOMERS customers (config.py), and the only quantities shared across customers (the
audiences' targeting totals, the calibration) are computed over everyone, so a history
generated in chunks of any whole number of blocks is the same data, in bounded memory: the
first pass draws each chunk's visits, baskets and audiences and the true logits (kept on
disk), the calibration then needs only the shown impressions' logits, and the second pass
draws the outcomes and writes the chunk's tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from metro_offers.generator.config import (
    AUDIENCE_STREAM,
    BLOCK_CUSTOMERS,
    DAY_STREAM,
    OUTCOME_STREAM,
    VISIT_STREAM,
    GeneratorConfig,
    Progress,
)
from metro_offers.generator.exposure import Campaigns, Impressions, draw_impressions, plan_campaigns
from metro_offers.generator.outcomes import TrueResponse, draw_outcomes, truth_offers, truth_pairs, truth_table
from metro_offers.generator.population import Population, draw_population
from metro_offers.generator.sampling import PairHistory
from metro_offers.generator.tables import fact_tables
from metro_offers.generator.visits import Lines, Orders, draw_lines, draw_orders, place_events
from metro_offers.reference import Reference, load_reference


@dataclass(frozen=True)
class ChunkDraws:
    """A chunk's draws before the outcomes: visits, baskets, audiences, and the true logits
    (organic, response) of its impressions and of its truth-table pairs."""

    orders: Orders
    lines: Lines
    impressions: Impressions
    impression_logits: tuple[np.ndarray, np.ndarray]
    truth_logits: tuple[np.ndarray, np.ndarray]

    def save(self, path: Path) -> None:
        arrays = {
            f"{part}.{f.name}": getattr(getattr(self, part), f.name)
            for part in ("orders", "lines", "impressions")
            for f in fields(getattr(self, part))
        }
        for part in ("impression_logits", "truth_logits"):
            arrays[f"{part}.organic"], arrays[f"{part}.response"] = getattr(self, part)
        np.savez(path, **arrays)

    @classmethod
    def load(cls, path: Path) -> ChunkDraws:
        with np.load(path) as saved:

            def part(kind):
                return kind(**{f.name: saved[f"{kind.__name__.lower()}.{f.name}"] for f in fields(kind)})

            return cls(
                part(Orders),
                part(Lines),
                part(Impressions),
                (saved["impression_logits.organic"], saved["impression_logits.response"]),
                (saved["truth_logits.organic"], saved["truth_logits.response"]),
            )


@dataclass(frozen=True)
class Facts:
    """What a chunk or a day produced: its raw fact tables, the outcome events decided for
    days not generated yet, and (history only) its rows of the hidden truth."""

    tables: dict[str, pd.DataFrame]
    pending: dict[str, np.ndarray]
    truth: pd.DataFrame | None = None


def blocks(customers: range) -> list[range]:
    return [
        range(first, min(first + BLOCK_CUSTOMERS, customers.stop))
        for first in range(customers.start, customers.stop, BLOCK_CUSTOMERS)
    ]


class Run:
    """One generation run: the configuration, the reference data, progress lines."""

    def __init__(self, config: GeneratorConfig, reference: Reference | None = None, echo=print) -> None:
        config.validate()
        self.cfg = config
        self.ref = reference or load_reference()
        self.progress = Progress(echo)
        self.day0 = np.datetime64(config.start_date, "D")

    def population(self) -> Population:
        rng = np.random.default_rng(self.cfg.seed)  # the population's own stream
        return draw_population(self.cfg, self.ref, rng, self.day0, self.progress)

    def chunks(self, chunk_customers: int) -> list[range]:
        """Ranges of customers of chunk_customers each (rounded to whole blocks)."""
        size = max(1, round(chunk_customers / BLOCK_CUSTOMERS)) * BLOCK_CUSTOMERS
        return [range(first, min(first + size, self.cfg.customers)) for first in range(0, self.cfg.customers, size)]

    def history_draws(self, population: Population, campaigns: Campaigns, customers: range) -> ChunkDraws:
        """Pass 1 for a chunk of customers over the whole history (campaigns: plan_campaigns
        over the history's days)."""
        cfg = self.cfg
        orders, lines, audiences = [], [], []
        for block in blocks(customers):
            number = block.start // BLOCK_CUSTOMERS
            visit_rng = np.random.default_rng([cfg.seed, VISIT_STREAM, number])
            block_orders, block_lines = self._visits(population, np.arange(cfg.days), visit_rng, block)
            orders.append(block_orders)
            lines.append(block_lines)
            audience_rng = np.random.default_rng([cfg.seed, AUDIENCE_STREAM, number])
            audiences.append(draw_impressions(cfg, population, campaigns, cfg.days - 1, audience_rng, block))
        orders, lines, impressions = _concat(orders), _concat_lines(orders, lines), _concat(audiences)
        truth = TrueResponse(population, _purchase_history(population, orders, lines), cfg.seed)
        return ChunkDraws(
            orders,
            lines,
            impressions,
            truth.logits(impressions.customer_idx, impressions.offer_idx),
            truth.logits(*truth_pairs(truth_offers(cfg, population), customers)),
        )

    def history_facts(self, population: Population, draws: ChunkDraws, calibration: dict, customers: range) -> Facts:
        """Pass 2 for a chunk: outcomes (each block from its own stream), the fact tables, the truth."""
        cfg, impressions = self.cfg, draws.impressions
        block_of = impressions.customer_idx // BLOCK_CUSTOMERS
        outcomes = []
        for block in blocks(customers):
            number = block.start // BLOCK_CUSTOMERS
            rows = slice(*np.searchsorted(block_of, [number, number + 1]))
            outcomes.append(
                draw_outcomes(
                    cfg,
                    self.ref,
                    population,
                    _take(impressions, rows),
                    tuple(logit[rows] for logit in draws.impression_logits),
                    calibration,
                    np.random.default_rng([cfg.seed, OUTCOME_STREAM, number]),
                    cfg.days - 1,
                )
            )
        events = concat_dicts([o.events for o in outcomes])
        orders, events = place_events(draws.orders, draws.lines, events, population.customers.home_store)
        tables = fact_tables(population, orders, draws.lines, impressions, events, self.day0)
        truth = truth_table(*truth_pairs(truth_offers(cfg, population), customers), draws.truth_logits, calibration)
        return Facts(tables, concat_dicts([o.pending for o in outcomes]), truth)

    def day(
        self, day: int, read_history: Callable[[np.ndarray], pd.DataFrame], calibration: dict, pending: dict
    ) -> Facts:
        """One more day after the history (index ``day``): its visits, the audiences of offers
        launching on it, and the events falling on it, both those decided earlier
        (``pending``) and today's. ``read_history(customer_idx)`` gives the purchase history
        as landed of those customers (c, p, d: customer and product index, day), for
        bought-before and recency."""
        cfg = self.cfg
        population = self.population()
        everyone = range(cfg.customers)
        rng = np.random.default_rng([cfg.seed, DAY_STREAM, day])
        orders, lines = self._visits(population, np.array([day]), rng, everyone)
        campaigns = plan_campaigns(population, range(day, day + 1))
        impressions = draw_impressions(cfg, population, campaigns, day, rng, everyone)
        self.progress.done("impressions", len(impressions.day))
        landed = read_history(np.unique(impressions.customer_idx))
        history = PairHistory(
            landed.c.to_numpy(),
            landed.p.to_numpy(),
            population.catalogue.category_idx[landed.p.to_numpy()],
            landed.d.to_numpy(),
        )
        truth = TrueResponse(population, history, cfg.seed)
        logits = truth.logits(impressions.customer_idx, impressions.offer_idx)
        today = draw_outcomes(cfg, self.ref, population, impressions, logits, calibration, rng, day)
        self.progress.done("outcomes (redemptions)", len(today.events["day"]) + len(today.pending["day"]))
        due = pending["day"] <= day
        events = {k: np.concatenate([pending[k][due], today.events[k]]) for k in today.events}
        still_pending = {k: np.concatenate([pending[k][~due], today.pending[k]]) for k in today.pending}
        orders, events = place_events(orders, lines, events, population.customers.home_store)
        tables = fact_tables(population, orders, lines, impressions, events, self.day0)
        self.progress.done("orders (with redemptions)", len(tables["orders"]))
        return Facts(tables, still_pending)

    def _visits(
        self, population: Population, days: np.ndarray, rng: np.random.Generator, customers: range
    ) -> tuple[Orders, Lines]:
        orders = draw_orders(self.cfg, self.ref, population, days, self.day0, rng, customers)
        return orders, draw_lines(self.cfg, self.ref, population, orders, rng)


def _purchase_history(population: Population, orders: Orders, lines: Lines) -> PairHistory:
    return PairHistory(
        customer=orders.customer_idx[lines.order_idx],
        product=lines.product_idx,
        category=population.catalogue.category_idx[lines.product_idx],
        day=orders.day[lines.order_idx],
    )


def _concat(parts: list):
    """Field-wise concatenation of dataclasses of arrays."""
    kind = type(parts[0])
    return kind(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(kind)})


def _concat_lines(orders: list[Orders], lines: list[Lines]) -> Lines:
    """Lines of consecutive blocks, their order index shifted past the earlier blocks' orders."""
    offsets = np.cumsum([0] + [len(o.day) for o in orders[:-1]])
    return _concat(
        [
            Lines(**{**vars(part), "order_idx": part.order_idx + offset})
            for part, offset in zip(lines, offsets, strict=True)
        ]
    )


def _take(impressions: Impressions, rows: slice) -> Impressions:
    return Impressions(**{f.name: getattr(impressions, f.name)[rows] for f in fields(Impressions)})


def concat_dicts(parts: list[dict]) -> dict:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
