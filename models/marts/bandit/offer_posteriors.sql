{{
    config(
        materialized='incremental',
        unique_key=['offer_id', 'segment'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}
-- Beta posterior on P(redeem | shown) per arm, an offer shown to a customer segment: alpha =
-- var bandit_prior_alpha + redeemed impressions, beta = var bandit_prior_beta + shown
-- impressions that did not redeem. Incremental: a run adds the days after the last one it
-- counted (counted_through) up to the day before run_date, so a daily run counts that day's
-- impressions and redemptions only; a run_date at or before counted_through recounts from the
-- start. A redeemed impression counts on the day of its first redemption; control-group
-- impressions (never shown) are not trials. Landing corrections to days already counted need
-- `dbt build --full-refresh`.

with

previous as (
    {% if is_incremental() -%}
        select offer_id, segment, shown_impressions, redemptions, counted_through
        from {{ this }}
    {%- else -%}
        select
            cast(null as bigint) as offer_id,
            cast(null as varchar) as segment,
            cast(0 as bigint) as shown_impressions,
            cast(0 as bigint) as redemptions,
            cast(null as date) as counted_through
        where false
    {%- endif %}
),

-- the last day already counted when this run only adds the days after it; null: count from the start
counted as (
    select case when max(counted_through) < {{ run_date() }} then max(counted_through) end as through_date
    from previous
),

kept as (
    select
        previous.offer_id,
        previous.segment,
        case when counted.through_date is null then 0 else previous.shown_impressions end as shown_impressions,
        case when counted.through_date is null then 0 else previous.redemptions end as redemptions
    from previous
    cross join counted
),

shown as (
    select
        impressions.impression_id,
        impressions.offer_id,
        impressions.impression_date,
        customers.segment
    from {{ ref('stg_metro__impressions') }} as impressions
    inner join {{ ref('stg_metro__customers') }} as customers
        on impressions.customer_id = customers.customer_id
    where not impressions.is_control
),

first_redemptions as (
    select
        impression_id,
        min(redemption_date) as redeemed_on
    from {{ ref('stg_metro__redemptions') }}
    where impression_id is not null
    group by impression_id
),

-- each trial on the day it is shown and each success on the day it is first redeemed
arm_events as (
    select
        offer_id,
        segment,
        impression_date as event_date,
        false as is_redemption
    from shown
    union all
    select
        shown.offer_id,
        shown.segment,
        first_redemptions.redeemed_on as event_date,
        true as is_redemption
    from first_redemptions
    inner join shown on first_redemptions.impression_id = shown.impression_id
),

new_counts as (
    select
        arm_events.offer_id,
        arm_events.segment,
        count(*) filter (where not arm_events.is_redemption) as shown_impressions,
        count(*) filter (where arm_events.is_redemption) as redemptions
    from arm_events
    cross join counted
    where
        arm_events.event_date < {{ run_date() }}
        and (counted.through_date is null or arm_events.event_date > counted.through_date)
    group by arm_events.offer_id, arm_events.segment
),

counts as (
    select
        offer_id,
        segment,
        sum(shown_impressions) as shown_impressions,
        sum(redemptions) as redemptions
    from (
        select * from kept
        union all
        select * from new_counts
    ) as arm_counts
    group by offer_id, segment
),

posteriors as (
    select
        offer_id,
        segment,
        shown_impressions,
        redemptions,
        {{ var('bandit_prior_alpha') }} + redemptions as posterior_alpha,
        {{ var('bandit_prior_beta') }} + shown_impressions - redemptions as posterior_beta
    from counts
)

select
    cast(offer_id as bigint) as offer_id,
    cast(segment as varchar) as segment,
    cast(shown_impressions as bigint) as shown_impressions,
    cast(redemptions as bigint) as redemptions,
    cast(posterior_alpha as double) as posterior_alpha,
    cast(posterior_beta as double) as posterior_beta,
    cast(posterior_alpha / (posterior_alpha + posterior_beta) as double) as posterior_mean,
    cast({{ dbt.dateadd('day', -1, run_date()) }} as date) as counted_through
from posteriors
