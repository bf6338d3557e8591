"""The dbt project's layout conventions that a newcomer relies on to find things."""

from __future__ import annotations

from collections import Counter

from metro_offers.reference import project_root


def test_every_yaml_file_of_the_dbt_project_has_its_own_name():
    # dbt reads every _<folder>__models.yml; two with one name (python_models/uplift and
    # models/marts/uplift once) leave a reader guessing which one documents a model
    root = project_root()
    names = Counter(p.name for folder in ("models", "python_models") for p in (root / folder).rglob("*.yml"))
    assert [name for name, count in names.items() if count > 1] == []
