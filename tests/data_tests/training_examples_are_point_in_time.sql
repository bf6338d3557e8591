-- Training examples use only the past: features from before the impression's week, labels
-- whose window closed before run_date, and 'train' labels that never reach past the
-- evaluation cutoff (run_date minus var evaluation_holdout_days).
{%- set cutoff = dbt.dateadd('day', -1 * var('evaluation_holdout_days'), run_date()) %}
select
    impression_id,
    case
        when feature_as_of_date > impression_date then 'features after the impression'
        when last_order_date >= feature_as_of_date then 'an order on or after the as-of date'
        when days_since_last_category_purchase < 1 then 'a category purchase on or after the as-of date'
        when label_window_end > {{ run_date() }} then 'label window open at run_date'
        when split = 'train' and label_window_end > {{ cutoff }} then 'train label past the evaluation cutoff'
        when split = 'evaluation' and impression_date < {{ cutoff }} then 'evaluation row before the cutoff'
    end as problem
from {{ ref('training_examples') }}
where
    feature_as_of_date > impression_date
    or last_order_date >= feature_as_of_date
    or days_since_last_category_purchase < 1
    or label_window_end > {{ run_date() }}
    or (split = 'train' and label_window_end > {{ cutoff }})
    or (split = 'evaluation' and impression_date < {{ cutoff }})
