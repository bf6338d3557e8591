-- Each policy over the whole simulation: totals per seed, then their mean, lowest and highest
-- across seeds, and on how many seeds its regret was below the greedy ranker's and below
-- epsilon-greedy's (same visitors and outcome draws on every seed: common random numbers).
with

totals as (
    select
        policy,
        seed,
        sum(shown) as shown,
        sum(redemptions) as redemptions,
        sum(true_incremental) as true_incremental,
        sum(regret) as regret,
        sum(redemptions)
        - sum(control_buyers) * sum(shown) / nullif(sum(control_visitors), 0) as measured_incremental
    from {{ ref('bandit_simulation_runs') }}
    group by policy, seed
),

against as (
    select
        totals.policy,
        totals.seed,
        totals.regret < greedy.regret as beats_greedy,
        totals.regret < epsilon_greedy.regret as beats_epsilon_greedy
    from totals
    left join totals as greedy on totals.seed = greedy.seed and greedy.policy = 'greedy'
    left join totals as epsilon_greedy on totals.seed = epsilon_greedy.seed and epsilon_greedy.policy = 'epsilon_greedy'
)

select
    totals.policy,
    cast(count(*) as bigint) as seeds,
    cast(avg(totals.shown) as double) as mean_shown,
    cast(avg(totals.redemptions) as double) as mean_redemptions,
    cast(min(totals.redemptions) as double) as min_redemptions,
    cast(max(totals.redemptions) as double) as max_redemptions,
    cast(avg(totals.true_incremental) as double) as mean_true_incremental,
    cast(avg(totals.measured_incremental) as double) as mean_measured_incremental,
    cast(avg(totals.regret) as double) as mean_regret,
    cast(min(totals.regret) as double) as min_regret,
    cast(max(totals.regret) as double) as max_regret,
    cast(sum(case when against.beats_greedy then 1 else 0 end) as bigint) as seeds_beating_greedy,
    cast(sum(case when against.beats_epsilon_greedy then 1 else 0 end) as bigint) as seeds_beating_epsilon_greedy
from totals
inner join against on totals.policy = against.policy and totals.seed = against.seed
group by totals.policy
