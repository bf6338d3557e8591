-- Per offer, over its serving candidates with an uplift estimate (campaign_targeting): the
-- mean probabilities of the four customer types, the mean uplift and expected incremental
-- margin, and the share of candidates worth the discount (positive expected margin). The
-- dashboard's Uplift view; empty when uplift was not estimated.
select
    targeting.offer_id,
    offers.offer_name,
    count(*) as candidates,
    avg(targeting.persuadable_probability) as persuadables,
    avg(targeting.sure_thing_probability) as sure_things,
    avg(targeting.lost_cause_probability) as lost_causes,
    avg(targeting.do_not_disturb_probability) as do_not_disturbs,
    avg(targeting.uplift) as mean_uplift,
    avg(targeting.expected_incremental_margin) as mean_expected_incremental_margin,
    avg(case when targeting.expected_incremental_margin > 0 then 1.0 else 0.0 end) as share_with_positive_margin
from {{ ref('campaign_targeting') }} as targeting
inner join {{ ref('stg_metro__offers') }} as offers on targeting.offer_id = offers.offer_id
where targeting.uplift is not null
group by targeting.offer_id, offers.offer_name
