-- The live ranker's importance per feature: the contracted face of the
-- ranker_feature_importance Python model.
select
    model_version,
    chosen_model,
    feature,
    cast(importance as double) as importance,
    cast(importance_share as double) as importance_share
from {{ ref('ranker_feature_importance') }}
