-- Qini curves of each learner, random targeting and (synthetic data) the oracle on the
-- randomised impressions after the cutoff: incremental buyers per impression when the first
-- population_share of the impressions, ranked by the method, is targeted.
select
    method,
    population_share,
    qini
from {{ ref('uplift_curves') }}
