"""Today's bandit decision (logic: metro_offers.bandit.policies): for every serving customer,
the offer that var bandit_serving_policy (thompson, or thompson_top_k among the ranker's top
var bandit_ranker_top_k) picks from the customer's serving candidates with the arms'
posteriors (offer_posteriors), and its propensity by Monte-Carlo over var
bandit_propensity_draws posterior draws, logged so the decision can be evaluated off-policy.
Seeded by var bandit_seed and run_date: a rebuild decides the same."""

import datetime as dt

import numpy as np
import pandas as pd

from metro_offers.arrow_tables import typed_table
from metro_offers.bandit.choices import Choices
from metro_offers.bandit.policies import make_policy
from metro_offers.bandit.posteriors import ArmPosteriors
from metro_offers.bandit.settings import policy_settings

SERVABLE = ("thompson", "thompson_top_k")  # thompson_ranker needs the ranker's score of past impressions
COLUMNS = {
    "customer_id": "int64",
    "offer_id": "int64",
    "policy": "string",
    "propensity": "float64",
    "ranker_score": "float64",
    "posterior_mean": "float64",
}


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    name = meta["bandit_serving_policy"]
    if name not in SERVABLE:
        raise ValueError(f"var bandit_serving_policy must be one of {', '.join(SERVABLE)}, got {name!r}")
    settings = policy_settings(meta)
    scored = (
        dbt.ref("ranker_scores")
        .project("customer_id, offer_id, score")
        .join(dbt.ref("stg_metro__customers").project("customer_id, segment"), "customer_id")
    )
    # Arm codes 0 .. n - 1 in the order the arms first appear in the rows sorted by customer and
    # offer, with their counts (none for an arm never shown): the posterior draws are made per
    # arm code, so the codes must not depend on which rows are kept below. Read once: a few
    # hundred rows, aggregated from every serving candidate.
    arms = (
        scored.aggregate("offer_id, segment, min(customer_id) as first_customer", "offer_id, segment")
        .join(
            dbt.ref("offer_posteriors").project("offer_id, segment, redemptions, shown_impressions"),
            ["offer_id", "segment"],
            how="left",
        )
        .project(
            "offer_id, segment, row_number() over (order by first_customer, offer_id) - 1 as arm, "
            "coalesce(redemptions, 0) as redemptions, coalesce(shown_impressions, 0) as shown_impressions"
        )
        .order("arm")
        .df()
    )
    if name == "thompson_top_k":  # only a customer's top k by the ranker can be picked: read no other row
        scored = scored.project(
            "*, row_number() over (partition by customer_id order by score desc, offer_id) as score_rank"
        ).filter(f"score_rank <= {settings.ranker_top_k}")
    candidates = (
        scored.join(session.from_df(arms[["offer_id", "segment", "arm"]]), ["offer_id", "segment"])
        .project("customer_id, offer_id, score, arm")
        .order("customer_id, offer_id")
        .df()
    )
    if candidates.empty:
        return typed_table(None, COLUMNS)
    posteriors = ArmPosteriors(len(arms), settings.prior(), arms["redemptions"], arms["shown_impressions"])
    arm_codes = candidates.arm.to_numpy(np.int64)
    customers = np.unique(candidates.customer_id.to_numpy(), return_inverse=True)[1]
    choices = Choices(customers.astype(np.int64), arm_codes, candidates.score.to_numpy(float))
    run_date = dt.date.fromisoformat(meta["run_date"])
    rng = np.random.default_rng([settings.seed, run_date.toordinal()])
    chosen, propensity = make_policy(name, posteriors, settings).choose_logged(choices, rng)
    print(f"[bandit] {name} chose an offer for {len(chosen):,} customers ({settings.propensity_draws} draws each)")
    picked = candidates.iloc[chosen]
    return typed_table(
        pd.DataFrame(
            {
                "customer_id": picked.customer_id.to_numpy(),
                "offer_id": picked.offer_id.to_numpy(),
                "policy": name,
                "propensity": propensity,
                "ranker_score": picked.score.to_numpy(),
                "posterior_mean": posteriors.mean()[arm_codes[chosen]],
            }
        ),
        COLUMNS,
    )
