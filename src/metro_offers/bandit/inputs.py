"""The simulated world's inputs from the warehouse: the serving candidates with the live
ranker's P(redeem), each customer's segment, the offers' end dates, how often each customer
visited before run_date, and the truth's probabilities (synthetic data only)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from metro_offers.evaluation import truth_columns
from metro_offers.hash_sample import hash_sample

NO_TRUTH = (
    "no truth folder covers the serving candidates: the simulation and the off-policy study need the "
    "generator's true probabilities (real data such as The Complete Journey has none, and its campaigns "
    "were targeted, not randomised, with no logged propensities: nothing is simulated or estimated there)"
)


def visit_window_start(run_date: dt.date, window_days: int) -> dt.date:
    if window_days < 1:
        raise ValueError(f"var bandit_visit_window_days must be at least 1, got {window_days}")
    return run_date - dt.timedelta(days=window_days)


def visit_rates(visit_days: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """customer_id, visit_rate: the share of the window's days on which the customer ordered."""
    return visit_days.assign(visit_rate=visit_days["visit_days"] / window_days)[["customer_id", "visit_rate"]]


def candidates_with_truth(
    scores: pd.DataFrame, customers: pd.DataFrame, offers: pd.DataFrame, truth_dir: Path | None
) -> tuple[pd.DataFrame | None, int]:
    """scores (customer_id, offer_id, score) with the segment, the offer's end_date and the true
    probabilities, for the offers the truth covers; and how many candidates it does not cover.
    None when there is no truth."""
    pairs = scores.merge(
        customers[["customer_id", "segment"]], on="customer_id", how="inner", validate="many_to_one"
    ).merge(offers[["offer_id", "end_date"]], on="offer_id", how="inner", validate="many_to_one")
    truth = truth_columns(truth_dir, pairs, ("p_redeem_if_shown", "p_buy_if_not_shown"), partial=True)
    covered = pd.Series(False, index=pairs.index) if truth is None else truth.notna().all(axis=1)
    if not covered.any():
        return None, len(scores)
    return pd.concat([pairs, truth], axis=1)[covered].reset_index(drop=True), int((~covered).sum())


def sampled_customers(scores, max_customers: int):
    """The rows of a relation of serving candidates of a fixed sample of at most about
    ``max_customers`` of its customers (by the hash of the customer id), every candidate of
    each: the simulation's cost stops growing with the customer base."""
    sample = hash_sample(scores.project("customer_id").distinct(), max_customers, "customer_id")
    return scores.join(sample.set_alias("sample"), "customer_id", how="semi")


def simulated_world(orders, scores, customers, offers, meta: dict, echo=print):
    """The Environment of the closed loop from the warehouse's relations (stg_metro__orders,
    ranker_scores, stg_metro__customers, stg_metro__offers) for a sample of at most about var
    bandit_simulation_customers of the serving customers, or None without truth."""
    from metro_offers.bandit.environment import build_environment

    run_date = dt.date.fromisoformat(meta["run_date"])
    window = int(meta["bandit_visit_window_days"])
    start = visit_window_start(run_date, window)
    visit_days = (
        orders.filter(f"order_date >= date '{start}' and order_date < date '{run_date}'")
        .aggregate("customer_id, count(distinct order_date) as visit_days")
        .df()
    )
    sample_size = int(meta["bandit_simulation_customers"])
    candidates, uncovered = candidates_with_truth(
        sampled_customers(scores, sample_size).project("customer_id, offer_id, score").df(),
        customers.project("customer_id, segment").df(),
        offers.project("offer_id, end_date").df(),
        Path(meta["truth_root"]),
    )
    if candidates is None:
        echo(f"[bandit] {NO_TRUTH}")
        return None
    if uncovered:
        echo(f"[bandit] {uncovered:,} serving candidates of offers the truth does not cover are left out")
    simulated = candidates.customer_id.nunique()
    echo(f"[bandit] simulating {simulated:,} serving customers (var bandit_simulation_customers: {sample_size:,})")
    return build_environment(candidates, visit_rates(visit_days, window), run_date)
