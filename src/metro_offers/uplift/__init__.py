"""Uplift modelling: whom a discount changes, not who would buy anyway.

``learners`` (S-, T- and X-learner on LightGBM), ``metrics`` (Qini, AUUC, uplift@k with
bootstrap intervals), ``decision`` (expected incremental margin), ``store`` (the learners'
artifacts with provenance) and ``evaluation`` (the harness on a randomised window)."""
