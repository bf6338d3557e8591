-- ROC and precision-recall curves of the offline evaluation: the contracted face of the
-- evaluation_curves Python model.
select
    model_version,
    method,
    curve,
    cast(point as bigint) as point_index,
    cast(x as double) as x,
    cast(y as double) as y
from {{ ref('evaluation_curves') }}
