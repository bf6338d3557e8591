"""Offer selection as a multi-armed bandit: Beta posteriors per (offer, segment) arm,
Thompson sampling (alone and with the ranker), off-policy evaluation and a closed-loop
simulation against the generator's truth."""
