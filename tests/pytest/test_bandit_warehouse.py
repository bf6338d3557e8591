"""The bandit in the built warehouse: the posteriors recounted from the staged facts, an
incremental day against a full refresh, today's Thompson choices, the closed loop and the
off-policy study."""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from metro_offers.generator import append_day
from metro_offers.reference import project_root

from conftest import CONFIG, query, run_dbt

pytestmark = pytest.mark.slow
VARS = yaml.safe_load((project_root() / "dbt_project.yml").read_text())["vars"]
POSTERIOR_COLUMNS = ["offer_id", "segment", "shown_impressions", "redemptions", "posterior_alpha", "posterior_beta"]


def day_counts(warehouse, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Shown impressions and first redemptions per (offer, segment) dated first .. last, from
    the staged facts (by hand, not through the model)."""
    return query(
        warehouse,
        f"""
        with shown as (
            select i.impression_id, i.offer_id, i.impression_date, c.segment
            from staging.stg_metro__impressions i join staging.stg_metro__customers c using (customer_id)
            where not i.is_control
        ),
        redeemed as (
            select impression_id, min(redemption_date) as redeemed_on
            from staging.stg_metro__redemptions group by impression_id
        ),
        events as (
            select offer_id, segment, 1 as shown_impressions, 0 as redemptions from shown
            where impression_date between '{first}' and '{last}'
            union all
            select s.offer_id, s.segment, 0, 1 from redeemed r join shown s using (impression_id)
            where r.redeemed_on between '{first}' and '{last}'
        )
        select offer_id, segment, sum(shown_impressions) as shown_impressions, sum(redemptions) as redemptions
        from events group by all order by all
        """,
    )


def posteriors(warehouse) -> pd.DataFrame:
    return query(warehouse, "select * from marts.offer_posteriors order by offer_id, segment")


def test_posteriors_are_the_prior_plus_every_shown_impression_and_redemption(built):
    _, warehouse, _, _ = built
    run_date = CONFIG.end_date + dt.timedelta(days=1)
    counted = day_counts(warehouse, dt.date(1900, 1, 1), CONFIG.end_date)
    table = posteriors(warehouse)
    merged = table.merge(counted, on=["offer_id", "segment"], how="outer", suffixes=("", "_by_hand"))
    assert len(merged) == len(table) == len(counted)
    np.testing.assert_array_equal(merged.shown_impressions, merged.shown_impressions_by_hand)
    np.testing.assert_array_equal(merged.redemptions, merged.redemptions_by_hand)
    np.testing.assert_allclose(table.posterior_alpha, VARS["bandit_prior_alpha"] + table.redemptions)
    np.testing.assert_allclose(
        table.posterior_beta, VARS["bandit_prior_beta"] + table.shown_impressions - table.redemptions
    )
    assert (table.counted_through == pd.Timestamp(run_date - dt.timedelta(days=1))).all()


def test_a_daily_run_adds_that_days_counts_and_equals_a_full_refresh(built, tmp_path):
    data, _, _, _ = built
    copy, warehouse = tmp_path / "data", tmp_path / "posteriors.duckdb"
    shutil.copytree(data, copy)
    variables = {"raw_root": str(copy / "raw"), "truth_root": str(copy / "truth")}

    def build(run_date: dt.date, *options: str) -> pd.DataFrame:
        run_dbt(
            # models only: the data tests of the facts need tables outside this selection
            "build", "--select", "+offer_posteriors", "--resource-type", "model", "--resource-type", "seed", *options,
            warehouse=warehouse, variables={**variables, "run_date": str(run_date)}, target=tmp_path / "target",
        )  # fmt: skip
        return posteriors(warehouse)

    first = CONFIG.end_date + dt.timedelta(days=1)
    before, days_with_events = build(first), 0
    for day in (first, first + dt.timedelta(days=1), first + dt.timedelta(days=2)):
        append_day(copy, day, echo=lambda _: None)
        after = build(day + dt.timedelta(days=1))
        added = after.merge(before, on=["offer_id", "segment"], how="left", suffixes=("", "_before")).fillna(0)
        added["shown_impressions"] -= added.shown_impressions_before
        added["redemptions"] -= added.redemptions_before
        added = added[(added.shown_impressions > 0) | (added.redemptions > 0)]
        expected = day_counts(warehouse, day, day)
        days_with_events += len(expected) > 0
        pd.testing.assert_frame_equal(
            added[["offer_id", "segment", "shown_impressions", "redemptions"]].reset_index(drop=True),
            expected,
            check_dtype=False,
        )
        assert (after.counted_through == pd.Timestamp(day)).all()
        before = after
    assert days_with_events > 0, "nothing was shown or redeemed on the landed days"
    refreshed = build(first + dt.timedelta(days=3), "--full-refresh")
    pd.testing.assert_frame_equal(before, refreshed)


def test_todays_choice_is_a_serving_candidate_with_its_propensity(built):
    _, warehouse, _, _ = built
    chosen = query(warehouse, "select * from marts.offer_selections")
    scores = query(warehouse, "select customer_id, offer_id, score from ml.ranker_scores")
    assert set(chosen.customer_id) == set(scores.customer_id)
    assert (chosen.policy == VARS["bandit_serving_policy"]).all()
    assert chosen.propensity.between(1 / VARS["bandit_propensity_draws"], 1).all()
    # thompson_top_k picks among the customer's top-k ranker scores
    rank = scores.assign(rank=scores.groupby("customer_id").score.rank(ascending=False, method="min"))
    picked = chosen.merge(rank, on=["customer_id", "offer_id"], how="left", validate="one_to_one")
    assert picked["rank"].notna().all() and (picked["rank"] <= VARS["bandit_ranker_top_k"]).all()
    np.testing.assert_allclose(picked.ranker_score, picked.score)


def test_the_closed_loop_and_the_off_policy_study_run_end_to_end(built):
    _, warehouse, _, result = built
    days = query(warehouse, "select * from marts.bandit_simulation")
    policies = set(VARS["bandit_simulation_policies"]) | {"oracle"}
    assert set(days.policy) == policies
    assert len(days) == len(policies) * VARS["bandit_simulation_seeds"] * 3  # BUILT_VARS: three days
    oracle = days[days.policy == "oracle"].set_index(["seed", "day"])
    assert (oracle.regret == 0).all()
    for _, policy in days[days.policy != "oracle"].groupby("policy"):
        # the same visitors as the oracle, never more expected redemptions than its picks
        mine = policy.set_index(["seed", "day"]).loc[oracle.index]
        np.testing.assert_array_equal(mine.visitors, oracle.visitors)
        assert (mine.expected_redemptions <= oracle.expected_redemptions + 1e-9).all()
    comparison = query(warehouse, "select * from marts.bandit_policy_comparison").set_index("policy")
    assert comparison.loc["oracle", "mean_regret"] == 0
    assert comparison.loc["greedy", "seeds_beating_greedy"] == 0
    study = query(warehouse, "select * from marts.off_policy_evaluation")
    assert set(study.target_policy) == set(VARS["bandit_simulation_policies"]) - {"uniform"}
    assert set(study[study.estimator == "replay"].target_policy) == {"greedy"}  # the only deterministic target
    assert (study.true_value > 0).all() and study.interval_coverage.between(0, 1).all()
