"""The pipeline's steps apart from the command line: var overrides, where the model store
goes, the dataset kind, and the command line's clear errors over them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from metro_offers import pipeline
from metro_offers.cli import main


def test_var_overrides_accept_project_vars_and_refuse_the_rest():
    assert pipeline.var_overrides("{item2vec_enabled: false, bandit_seed: 3}") == {
        "item2vec_enabled": False,
        "bandit_seed": 3,
    }
    assert pipeline.var_overrides(None) == {}
    with pytest.raises(ValueError, match="not dbt vars of this project: nope"):
        pipeline.var_overrides("{nope: 1}")
    with pytest.raises(ValueError, match="YAML mapping"):
        pipeline.var_overrides("[1, 2]")
    # names Python reads from dbt_project.yml itself: an override would change them for SQL only
    with pytest.raises(ValueError, match="pool_names: names the Python code shares with SQL"):
        pipeline.var_overrides("{pool_names: {serving: today}}")


def test_the_shared_names_are_the_ones_dbt_project_declares():
    """Python's pool names and ranker features come from dbt_project.yml's vars, as SQL's do."""
    import yaml

    from metro_offers.pools import EVALUATION_POOL, SERVING_POOL, TRAINING_POOL_PREFIX, VALIDATION_POOL
    from metro_offers.ranking.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES
    from metro_offers.reference import project_root

    declared = yaml.safe_load((project_root() / "dbt_project.yml").read_text())["vars"]
    assert (SERVING_POOL, EVALUATION_POOL, TRAINING_POOL_PREFIX, VALIDATION_POOL) == (
        "serving",
        "evaluation",
        "training_",
        "training_1",
    )
    assert declared["pool_names"] == {
        "serving": SERVING_POOL,
        "evaluation": EVALUATION_POOL,
        "training_prefix": "training_",
    }
    assert tuple(declared["ranker_numeric_features"]) == NUMERIC_FEATURES and len(NUMERIC_FEATURES) == 25
    assert CATEGORICAL_FEATURES == ("segment", "category_id")


def test_the_model_store_follows_the_warehouse(monkeypatch, tmp_path):
    monkeypatch.delenv("METRO_MODEL_STORE", raising=False)
    monkeypatch.delenv("METRO_WAREHOUSE", raising=False)
    assert pipeline.model_store_var() == {}  # the var's own default
    monkeypatch.setenv("METRO_WAREHOUSE", str(tmp_path / "w.duckdb"))
    assert pipeline.model_store_var() == {"model_store_dir": str(tmp_path / "w.models")}
    monkeypatch.setenv("METRO_MODEL_STORE", str(tmp_path / "store"))
    assert pipeline.model_store_var() == {"model_store_dir": str(tmp_path / "store")}


def test_the_dataset_kind_comes_from_the_manifest(tmp_path):
    assert pipeline.dataset_kind(tmp_path) == "synthetic"  # no manifest: the generator's
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "_manifest.json").write_text(json.dumps({"source": "completejourney"}))
    assert pipeline.dataset_kind(tmp_path) == "completejourney"


def test_the_commands_turn_refusals_into_clear_errors(tmp_path):
    runner = CliRunner()
    bad_vars = runner.invoke(main, ["build", "--data-dir", str(tmp_path), "--vars", "{nope: 1}"])
    assert bad_vars.exit_code == 2 and "not dbt vars of this project: nope" in bad_vars.output
    no_landing = runner.invoke(main, ["build", "--data-dir", str(tmp_path)])
    assert no_landing.exit_code == 1 and "no landing zone" in no_landing.output
    refused = runner.invoke(main, ["validate", "--data-dir", str(tmp_path)])
    assert refused.exit_code == 1 and "Traceback" not in refused.output


def test_generate_passes_its_options_to_the_generator_with_the_config_defaults(tmp_path, monkeypatch):
    import metro_offers.generator as generator
    from metro_offers.generator import GeneratorConfig

    received = []
    monkeypatch.setattr(generator, "generate", lambda config, data_dir, **_: received.append((config, data_dir)))
    runner = CliRunner()
    defaults = runner.invoke(main, ["generate", "--data-dir", str(tmp_path)])
    assert defaults.exit_code == 0, defaults.output
    assert received == [(GeneratorConfig(), tmp_path)]
    changed = runner.invoke(
        main, ["generate", "--data-dir", str(tmp_path), "--customers", "300", "--visit-rate-scale", "1.5"]
    )
    assert changed.exit_code == 0, changed.output
    assert received[-1][0] == GeneratorConfig(customers=300, visit_rate_scale=1.5)
    refused = runner.invoke(main, ["generate", "--data-dir", str(tmp_path), "--basket-size-scale", "0"])
    assert refused.exit_code == 2 and "--basket-size-scale" in refused.output


def test_date_options_reach_their_commands_as_days_and_refuse_other_formats(tmp_path, monkeypatch):
    import datetime as dt

    import metro_offers.generator as generator

    landed = []
    monkeypatch.setattr(generator, "append_day", lambda data_dir, day, **_: landed.append(day))
    monkeypatch.setattr(pipeline, "build", lambda *args, **kwargs: None)
    runner = CliRunner()
    ran = runner.invoke(main, ["daily", "--data-dir", str(tmp_path), "--date", "2026-11-02"])
    assert ran.exit_code == 0, ran.output
    assert landed == [dt.date(2026, 11, 2)]
    refused = runner.invoke(main, ["daily", "--data-dir", str(tmp_path), "--date", "02/11/2026"])
    assert refused.exit_code == 2 and "--date" in refused.output
    missing = runner.invoke(main, ["daily", "--data-dir", str(tmp_path)])
    assert missing.exit_code == 2 and "Missing option '--date'" in missing.output
