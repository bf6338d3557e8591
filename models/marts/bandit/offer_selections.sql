-- Today's bandit decision: one offer per serving customer, chosen by var
-- bandit_serving_policy over the arms' posteriors, with the propensity of that choice
-- (Monte-Carlo over posterior draws) so it can be evaluated off-policy later.
select
    {{ run_date() }} as run_date,
    customer_id,
    offer_id,
    policy,
    propensity,
    ranker_score,
    posterior_mean
from {{ ref('bandit_selection_draws') }}
