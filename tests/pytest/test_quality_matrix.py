"""The robustness benchmark (bench/quality_matrix.py) on its two tiny configurations: each is
generated and built in its own warehouse, the table has every method with intervals, the
served ranker is the one the build registered, and the verdict compares it with the best
baseline. (The full matrix runs in the benchmark, not in CI.)"""

from __future__ import annotations

import importlib.util

import pytest

from metro_offers.reference import project_root


@pytest.fixture(scope="module")
def matrix():
    spec = importlib.util.spec_from_file_location("quality_matrix", project_root() / "bench" / "quality_matrix.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_two_tiny_configurations_give_the_table_and_the_verdicts(matrix, tmp_path):
    results = [matrix.synthetic(name, matrix.CONFIGURATIONS[name], tmp_path) for name in ("tiny_a", "tiny_b")]
    for result in results:
        methods = {row["method"] for row in result["rows"]}
        assert {"random", "p_topfreq", "segment_popularity", "lightgbm", "oracle"} <= methods
        assert result["served"] in methods
        ndcg = [row for row in result["rows"] if row["metric"] == "ndcg"]
        assert all(row["ci_low"] <= row["value"] <= row["ci_high"] for row in ndcg)
    table = matrix.render(results)
    assert table.count("| tiny_") == 2 and "E/oracle" in table
    verdicts = matrix.verdicts(results)
    assert len(verdicts) == 2 and all("vs best baseline" in line for line in verdicts)
