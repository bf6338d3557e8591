"""Every ranker the build selects among, baselines first: a learned ranker must beat them
on the validation pool to be served. A new ranker is a module with a ``Ranker`` subclass and
one line here."""

from metro_offers.ranking.rankers.base import Ranker
from metro_offers.ranking.rankers.baselines import GlobalPopularity, PTopFreq, SegmentPopularity
from metro_offers.ranking.rankers.lightgbm_ranker import LightGBMRanker
from metro_offers.ranking.rankers.logistic import LogisticRegressionRanker
from metro_offers.ranking.rankers.wide_deep import WideDeepRanker

RANKERS: dict[str, type[Ranker]] = {
    ranker.name: ranker
    for ranker in (
        PTopFreq,
        SegmentPopularity,
        GlobalPopularity,
        LogisticRegressionRanker,
        LightGBMRanker,
        WideDeepRanker,
    )
}
BASELINES = tuple(name for name, ranker in RANKERS.items() if not ranker.learned)
LEARNED = tuple(name for name, ranker in RANKERS.items() if ranker.learned)


def ranker_class(name: str) -> type[Ranker]:
    if name not in RANKERS:
        raise KeyError(f"unknown ranker {name!r}; registered: {', '.join(RANKERS)}")
    return RANKERS[name]
