"""Next-basket recommendation: the task, its baselines and the harness that judges them
(issue 15's first part; SASRec plugs in as another method of the harness)."""
