-- The closed-loop simulation, one row per (policy, seed, simulated day), with the running
-- totals: redemptions, the true expected incremental redemptions, the regret against the
-- oracle (the truth's best offer of each shown visitor, in expected redemptions) and the
-- incremental redemptions a control group measures (redemptions of the shown minus the
-- control group's buyers scaled to the shown).
with

days as (
    select
        policy,
        seed,
        day,
        simulation_date,
        visitors,
        shown,
        redemptions,
        expected_redemptions,
        control_visitors,
        control_buyers,
        true_incremental,
        regret
    from {{ ref('bandit_simulation_runs') }}
),

running as (
    select
        *,
        sum(shown) over loop_so_far as cumulative_shown,
        cast(sum(redemptions) over loop_so_far as bigint) as cumulative_redemptions,
        sum(true_incremental) over loop_so_far as cumulative_true_incremental,
        sum(regret) over loop_so_far as cumulative_regret,
        sum(control_visitors) over loop_so_far as cumulative_control_visitors,
        sum(control_buyers) over loop_so_far as cumulative_control_buyers
    from days
    window loop_so_far as (partition by policy, seed order by day rows between unbounded preceding and current row)
)

-- the control group's running counts only serve the measured incremental redemptions
select
    * exclude (cumulative_shown, cumulative_control_visitors, cumulative_control_buyers),
    cast(
        cumulative_redemptions
        - cumulative_control_buyers * cumulative_shown / nullif(cumulative_control_visitors, 0) as double
    ) as cumulative_measured_incremental
from running
