-- One row per shown impression (control group excluded) whose label window closed before
-- run_date: label = redeemed within var label_window_days of the impression. Features are
-- as of the Monday that starts the impression's week, from the same as-of models that serve
-- run_date, so they use only data from before the impression.
-- split: 'train' when the label window closed by the evaluation cutoff (run_date minus var
-- evaluation_holdout_days), 'evaluation' when the impression is on or after the cutoff,
-- 'straddles_cutoff' otherwise (in neither: its label would leak past the cutoff).
-- in_training_sample keeps every positive and a deterministic share of negatives, about
-- var negative_sampling_ratio negatives per positive; evaluation never samples.
{%- set cutoff = dbt.dateadd('day', -1 * var('evaluation_holdout_days'), run_date()) %}

with impressions as (
    select
        impression_id,
        customer_id,
        offer_id,
        impression_date,
        policy,
        selection_propensity,
        {{ impression_feature_date('impression_date') }} as feature_as_of_date,
        {{ dbt.dateadd('day', var('label_window_days'), 'impression_date') }} as label_window_end
    from {{ ref('stg_metro__impressions') }}
    where
        not is_control
        and {{ dbt.dateadd('day', var('label_window_days'), 'impression_date') }} <= {{ run_date() }}
),

labelled as (
    select
        impressions.*,
        exists(
            select 1
            from {{ ref('stg_metro__redemptions') }} as redemptions
            where
                redemptions.impression_id = impressions.impression_id
                and redemptions.redemption_date < impressions.label_window_end
        ) as label
    from impressions
),

class_counts as (
    select
        count(case when label then 1 end) as positives,
        count(case when not label then 1 end) as negatives
    from labelled
)

select
    labelled.impression_id,
    labelled.customer_id,
    labelled.offer_id,
    labelled.impression_date,
    labelled.feature_as_of_date,
    cast(labelled.label_window_end as date) as label_window_end,
    labelled.label,
    case
        when labelled.label_window_end <= {{ cutoff }} then 'train'
        when labelled.impression_date >= {{ cutoff }} then 'evaluation'
        else 'straddles_cutoff'
    end as split,
    labelled.label
    or hash(labelled.impression_id) % 1000000
    < 1000000 * least(
        1.0, {{ var('negative_sampling_ratio') }} * class_counts.positives / nullif(class_counts.negatives, 0)
    ) as in_training_sample,
    labelled.policy,
    labelled.selection_propensity,
    customers.segment,
    rfm.recency_days,
    rfm.frequency,
    rfm.monetary,
    rfm.avg_basket_value,
    promo.promo_affinity,
    coalesce(entropy.category_entropy, 0) as category_entropy,
    greatest({{ days_between('customers.signup_date', 'labelled.feature_as_of_date') }}, 0) as tenure_days,
    offers.category_id,
    offers.discount_pct,
    economics.margin_impact,
    {{ days_between('labelled.feature_as_of_date', 'offers.end_date') }} as days_until_expiry,
    history.historical_redemption_rate,
    case
        when offers.offer_level = 'product'
            then coalesce(bought.first_purchase_date < labelled.feature_as_of_date, false)
        else category_spend.customer_id is not null
    end as bought_before,
    coalesce(category_spend.category_spend_share, 0) as category_affinity_score,
    {{ price_sensitivity('rfm.private_label_spend_share', 'rfm.promo_line_share') }} * offers.discount_pct
        as price_sensitivity_match,
    {{ days_between('category_spend.last_category_purchase_date', 'labelled.feature_as_of_date') }}
        as days_since_last_category_purchase,
    rfm.last_order_date
from labelled
cross join class_counts
inner join {{ ref('stg_metro__customers') }} as customers on labelled.customer_id = customers.customer_id
inner join {{ ref('stg_metro__offers') }} as offers on labelled.offer_id = offers.offer_id
inner join {{ ref('int_offer_economics') }} as economics on labelled.offer_id = economics.offer_id
inner join {{ ref('int_customer_rfm') }} as rfm
    on labelled.customer_id = rfm.customer_id and labelled.feature_as_of_date = rfm.as_of_date
inner join {{ ref('int_customer_promo_affinity') }} as promo
    on labelled.customer_id = promo.customer_id and labelled.feature_as_of_date = promo.as_of_date
inner join {{ ref('int_offer_redemption_history') }} as history
    on labelled.offer_id = history.offer_id and labelled.feature_as_of_date = history.as_of_date
left join {{ ref('int_customer_category_entropy') }} as entropy
    on labelled.customer_id = entropy.customer_id and labelled.feature_as_of_date = entropy.as_of_date
left join {{ ref('int_customer_category_spend') }} as category_spend
    on
        labelled.customer_id = category_spend.customer_id
        and labelled.feature_as_of_date = category_spend.as_of_date
        and offers.category_id = category_spend.category_id
left join {{ ref('int_customer_products_bought') }} as bought
    on labelled.customer_id = bought.customer_id and offers.product_id = bought.product_id
