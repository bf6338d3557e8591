"""Why the drift reference is not the training sample: PSI of a built warehouse's candidates
against its training sample, per feature. Usage:

    python bench/drift_reference_check.py [--warehouse warehouse/metro_offers.duckdb]
"""

from __future__ import annotations

import argparse

import duckdb

from metro_offers.drift import feature_drift, reference_distribution
from metro_offers.ranking.features import NUMERIC_FEATURES, feature_matrix


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", default="warehouse/metro_offers.duckdb")
    args = parser.parse_args()
    with duckdb.connect(args.warehouse, read_only=True) as con:
        sample = con.sql("select * from marts.training_examples").df()
        candidates = con.sql("select * from marts.candidate_features where pool = 'serving'").df()
    features = NUMERIC_FEATURES  # what training examples and candidates share (no strategy ranks)
    reference = reference_distribution(feature_matrix(sample, features), bins=10)
    report = feature_drift(reference, feature_matrix(candidates, features), floor=1e-4, warn=0.10, alert=0.25)
    print(report.sort_values("psi", ascending=False).to_string(index=False))
    numeric = report[report.feature.isin(NUMERIC_FEATURES)]
    print(f"\n{(numeric.severity == 'alert').sum()} of {len(numeric)} numeric features at alert (PSI >= 0.25)")


if __name__ == "__main__":
    main()
