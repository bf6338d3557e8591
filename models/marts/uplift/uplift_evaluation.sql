-- The uplift harness's results (uplift_metrics): evaluation 'targeting' (Qini, AUUC,
-- uplift@k of each learner, random and the oracle on the randomised impressions after the
-- cutoff) and 'top_k_lists' (what each policy's lists of the evaluation pool deliver under the
-- true probabilities), each with its bootstrap interval.
select
    evaluation,
    method,
    metric,
    value,
    ci_low,
    ci_high,
    rows
from {{ ref('uplift_metrics') }}
