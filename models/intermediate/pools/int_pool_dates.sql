{{ config(materialized='view') }}
-- The candidate pools the build retrieves, one row each, with the window their labels come
-- from. 'serving': as of run_date, offers valid on run_date, no labels (what recommendations
-- rank). 'evaluation': as of the evaluation cutoff, offers valid on any day of the evaluation
-- window [cutoff, run_date) - the offer plan known at the cutoff, since most offers redeemed
-- in a window launch inside it - labelled by the redemptions in that window.
-- 'training_1' .. 'training_<n>' (n = var ranker_training_windows): the same task one, two ..
-- n windows of evaluation_holdout_days earlier, ending at the cutoff; the rankers learn from
-- them (training_1, the latest, validates the choice of ranker).
{%- set window_days = var('evaluation_holdout_days') | int %}
select
    {{ pool_name('serving') }} as pool,
    'serving' as pool_role,
    0 as windows_before_cutoff,
    {{ run_date() }} as as_of_date,
    {{ run_date() }} as offers_valid_from,
    {{ run_date() }} as offers_valid_to,
    cast(null as date) as label_window_end
union all
select
    {{ pool_name('evaluation') }} as pool,
    'evaluation' as pool_role,
    0 as windows_before_cutoff,
    {{ evaluation_cutoff() }} as as_of_date,
    {{ evaluation_cutoff() }} as offers_valid_from,
    cast({{ dbt.dateadd('day', -1, run_date()) }} as date) as offers_valid_to,
    {{ run_date() }} as label_window_end
{%- for window in range(1, var('ranker_training_windows') | int + 1) %}
    union all
    select
        {{ pool_name('training_prefix', window) }} as pool,
        'training' as pool_role,
        {{ window }} as windows_before_cutoff,
        cast({{ dbt.dateadd('day', -window * window_days, evaluation_cutoff()) }} as date) as as_of_date,
        cast({{ dbt.dateadd('day', -window * window_days, evaluation_cutoff()) }} as date) as offers_valid_from,
        cast({{ dbt.dateadd('day', -(window - 1) * window_days - 1, evaluation_cutoff()) }} as date) as offers_valid_to,
        cast({{ dbt.dateadd('day', -(window - 1) * window_days, evaluation_cutoff()) }} as date) as label_window_end
{%- endfor %}
