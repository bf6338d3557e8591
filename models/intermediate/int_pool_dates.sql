{{ config(materialized='view') }}
-- The candidate pools the build retrieves, one row each. 'serving': as of run_date, offers
-- valid on run_date (what recommendations rank). 'evaluation': as of the evaluation cutoff,
-- offers valid on any day of the evaluation window [cutoff, run_date) - the offer plan known
-- at the cutoff, since most offers redeemed in the window launch inside it (DESIGN.md §5).
select
    'serving' as pool,
    {{ run_date() }} as as_of_date,
    {{ run_date() }} as offers_valid_from,
    {{ run_date() }} as offers_valid_to
union all
select
    'evaluation' as pool,
    {{ evaluation_cutoff() }} as as_of_date,
    {{ evaluation_cutoff() }} as offers_valid_from,
    cast({{ dbt.dateadd('day', -1, run_date()) }} as date) as offers_valid_to
