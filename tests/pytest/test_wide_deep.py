"""The Wide & Deep ranker: its preprocessing and crosses by hand, the safetensors artifact,
early stopping and its record, reproducibility, explanations, and its place in selection."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metro_offers.pools import EVALUATION_POOL
from metro_offers.ranking import rankers, registry, selection
from metro_offers.ranking.rankers import wide_deep
from metro_offers.ranking.rankers.wide_deep import Preprocessing, WideDeepRanker
from metro_offers.ranking.scoring import score_candidates
from metro_offers.ranking.training import train_live_ranker
from metro_offers.torch_models import safetensors_metadata

from test_ranking import QUIET, RUN_DATE, pool_examples


def tiny_matrix() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "recency_days": [0.0, 1.0, np.nan, 3.0],
            "bought_before": [0.0, 1.0, 1.0, 0.0],
            "discount_pct": [0.1, 0.2, 0.3, 0.3],
            "segment": [0.0, 1.0, 1.0, 2.0],
            "category_id": [10.0, 20.0, 10.0, 20.0],
        }
    )


def test_preprocessing_and_crosses_by_hand():
    x = tiny_matrix()
    prep = Preprocessing.fit(x)
    # recency: median of 0, 1, 3 fills the gap -> 0, 1, 1, 3 -> log(1 + x) = 0, ln 2, ln 2, ln 4:
    # mean ln 2, population std ln 2 / sqrt 2 -> standardised -sqrt 2, 0, 0, sqrt 2
    assert prep.medians["recency_days"] == 1.0 and prep.flagged == ["recency_days"]
    assert prep.dense_columns == ["recency_days", "bought_before", "discount_pct", "recency_days"]
    dense = prep.dense(x)
    np.testing.assert_allclose(dense[:, 0], [-np.sqrt(2), 0, 0, np.sqrt(2)], atol=1e-6)
    # bought before 0, 1, 1, 0 -> 0, ln 2, ln 2, 0 -> -1, 1, 1, -1; the missing flag 0, 0, 1, 0
    np.testing.assert_allclose(dense[:, 1], [-1, 1, 1, -1], atol=1e-6)
    np.testing.assert_allclose(dense[:, 3], np.array([-1, -1, 3, -1]) / np.sqrt(3), atol=1e-6)
    # levels seen in training: code = 1 + index; an unseen segment or category is 0
    assert prep.categories == {"segment": [0.0, 1.0, 2.0], "category_id": [10.0, 20.0]}
    np.testing.assert_array_equal(prep.category_codes(x), [[1, 1], [2, 2], [2, 1], [3, 2]])
    unseen = x.assign(segment=[3.0, 0.0, 1.0, np.nan], category_id=[30.0, 10.0, 20.0, 20.0])
    np.testing.assert_array_equal(prep.category_codes(unseen)[:, 0], [0, 1, 2, 0])
    np.testing.assert_array_equal(prep.category_codes(unseen)[:, 1], [0, 1, 2, 2])
    # discount bands: edges at the 1/3 and 2/3 quantiles of 0.1, 0.2, 0.3, 0.3 = 0.2 and 0.3;
    # bands 0, 1, 2, 2 (4 codes with the missing band)
    assert prep.discount_edges == pytest.approx([0.2, 0.3])
    # crosses, first code x (codes of the second) + second code:
    # segment (4 codes) x category (3): 1*3+1, 2*3+2, 2*3+1, 3*3+2
    # bought_before (3) x band (4): 0*4+0, 1*4+1, 1*4+2, 0*4+2
    # segment x band: 1*4+0, 2*4+1, 2*4+2, 3*4+2; category x bought_before: 1*3+0, 2*3+1, 1*3+1, 2*3+0
    assert wide_deep.WIDE_CROSSES == (
        ("segment", "category_id"),
        ("bought_before", "discount_band"),
        ("segment", "discount_band"),
        ("category_id", "bought_before"),
    )
    np.testing.assert_array_equal(prep.crosses(x), [[4, 0, 4, 3], [8, 5, 9, 7], [7, 6, 10, 4], [11, 2, 14, 6]])
    assert prep.cross_sizes() == [12, 12, 16, 9]


@pytest.fixture(scope="module")
def split():
    frame = pool_examples()
    fit, valid = selection.validation_split(frame, None)
    return frame, fit, valid


def test_early_stopping_keeps_the_best_epoch_and_records_every_epoch(split):
    _, fit, valid = split
    model = WideDeepRanker.fit(fit, valid)
    history = pd.DataFrame(model.history())
    assert list(history.columns) == ["epoch", "train_loss", "valid_loss", "valid_ndcg_at_10"]
    best = int(history.epoch[history.valid_ndcg_at_10.idxmax()])
    assert model.parameters() == {"epochs": best}
    # it stopped PATIENCE epochs after the best, before the cap (the mission asks < 20)
    assert len(history) == best + wide_deep.PATIENCE and best < 20
    assert history.train_loss.iloc[-1] < history.train_loss.iloc[0]
    # the model kept is the best epoch's: its validation NDCG is the recorded maximum
    assert valid.ndcg(model.score(valid.x), 10) == pytest.approx(history.valid_ndcg_at_10.max())
    # a refit repeats the chosen epochs without validation, and the same seed gives the same scores
    refit = WideDeepRanker.fit(fit, None, model.parameters())
    assert [h["epoch"] for h in refit.history()] == list(range(1, best + 1))
    assert "valid_loss" not in refit.history()[0]
    np.testing.assert_array_equal(
        WideDeepRanker.fit(fit, None, model.parameters()).score(valid.x), refit.score(valid.x)
    )


def test_the_safetensors_artifact_round_trips_and_explanations_add_up(split, tmp_path):
    _, fit, valid = split
    model = WideDeepRanker.fit(fit, valid)
    path = model.save(tmp_path)
    assert path.name == "model.safetensors"
    again = rankers.ranker_class("wide_deep").load(path)
    scores = model.score(valid.x)
    np.testing.assert_array_equal(again.score(valid.x), scores)
    # a row's score does not depend on the rows scored with it (tables read in another order)
    reordered = np.concatenate([model.score(valid.x.iloc[:7]), model.score(valid.x.iloc[7:][::-1])[::-1]])
    np.testing.assert_allclose(reordered, scores, rtol=1e-12, atol=0)
    # architecture, preprocessing and history travel in the header as JSON
    header = json.loads(safetensors_metadata(path.read_bytes())["wide_deep"])
    assert header["epochs"] == model.parameters()["epochs"] and header["history"] == model.history()
    assert header["preprocessing"]["features"] == list(model.features)
    # integrated gradients: the parts add up to the logit (midpoint rule, 32 steps)
    rows = valid.x.iloc[:40]
    parts = again.explain(rows)
    assert list(parts.columns) == [*model.features, "bias"] and parts.bias.nunique() == 1
    np.testing.assert_allclose(parts.sum(axis=1), model.score(rows), atol=0.02)
    # the label follows category affinity and discount (pool_examples 'affinity'): affinity leads
    assert model.importance().idxmax() == "category_affinity_score"
    assert valid.auc(model.score(valid.x)) > 0.7


def test_wide_and_deep_is_selected_served_and_registered_with_its_curves(tmp_path, monkeypatch):
    """Among the baselines and Wide & Deep alone, on labels it can learn, Wide & Deep wins
    validation, is refitted, served from its safetensors artifact and its curves registered."""
    only = {name: r for name, r in rankers.RANKERS.items() if not r.learned or name == "wide_deep"}
    monkeypatch.setattr(selection, "RANKERS", only)
    frame = pool_examples(seed=2)
    entry = train_live_ranker(frame, frame[frame.pool == EVALUATION_POOL], RUN_DATE, tmp_path, "test", **QUIET)
    assert entry.chosen_model == "wide_deep" and entry.chosen_is_learned
    validation = pd.DataFrame(entry.validation).set_index("method")
    assert validation.ndcg_at_10.idxmax() == "wide_deep"
    history = entry.training_history["wide_deep"]
    assert entry.parameters["wide_deep"]["epochs"] == max(history, key=lambda h: h["valid_ndcg_at_10"])["epoch"]
    live = registry.read_registry(tmp_path)[-1]
    assert Path(live["artifact_path"]).suffix == ".safetensors"
    scores = score_candidates([frame[frame.pool == EVALUATION_POOL]], live)
    assert (scores.recommendation_source == "ranker").all() and scores.score.between(0, 1).all()
    frame_row = registry.registry_frame(tmp_path).iloc[-1]
    assert json.loads(frame_row.training_history)["wide_deep"] == history
