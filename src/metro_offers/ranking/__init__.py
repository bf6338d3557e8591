"""Ranking: the feature schema (features), ranking data (data), the ranker interface and its
implementations (rankers), champion/challenger selection (selection), training the live
ranker (training), the model store with provenance (registry) and scoring (scoring)."""
