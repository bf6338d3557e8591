-- Training examples use only the past, and each label is what the redemptions say:
--   features from before the impression's week;
--   label = a redemption of the impression in [impression date, impression date + var
--   label_window_days), recomputed here from stg_metro__redemptions, not read from the model;
--   every label window closed before run_date; a 'train' row's window closed by the
--   evaluation cutoff (run_date minus var evaluation_holdout_days), so a 'train' label never
--   rests on a redemption on or after the cutoff; 'evaluation' rows start on or after it.
{%- set cutoff = dbt.dateadd('day', -1 * var('evaluation_holdout_days'), run_date()) %}
with examples as (
    select
        examples.*,
        {{ dbt.dateadd('day', var('label_window_days'), 'examples.impression_date') }} as window_end
    from {{ ref('training_examples') }} as examples
),

redeemed as (
    select
        examples.impression_id,
        count(redemptions.redemption_id) > 0 as redeemed_in_window,
        count(redemptions.redemption_id) filter (where redemptions.redemption_date < {{ cutoff }}) > 0
            as redeemed_before_cutoff
    from examples
    left join {{ ref('stg_metro__redemptions') }} as redemptions
        on
            examples.impression_id = redemptions.impression_id
            and examples.impression_date <= redemptions.redemption_date
            and examples.window_end > redemptions.redemption_date
    group by examples.impression_id
),

checked as (
    select
        examples.impression_id,
        case
            when examples.feature_as_of_date > examples.impression_date then 'features after the impression'
            when examples.last_order_date >= examples.feature_as_of_date then 'an order on or after the as-of date'
            when examples.days_since_last_category_purchase < 1 then 'a category purchase on or after the as-of date'
            when examples.label != redeemed.redeemed_in_window then 'label disagrees with the redemptions in its window'
            when examples.window_end > {{ run_date() }} then 'label window open at run_date'
            when examples.split = 'train' and examples.window_end > {{ cutoff }}
                then 'train label window past the evaluation cutoff'
            when examples.split = 'train' and examples.label and not redeemed.redeemed_before_cutoff
                then 'train label from a redemption on or after the evaluation cutoff'
            when examples.split = 'evaluation' and examples.impression_date < {{ cutoff }}
                then 'evaluation row before the cutoff'
        end as problem
    from examples
    inner join redeemed on examples.impression_id = redeemed.impression_id
)

select *
from checked
where problem is not null
