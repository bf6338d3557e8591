"""The targeting decision: what showing an offer to a customer is expected to earn.

Per unit, an incremental buyer (probability = uplift) brings the regular unit margin
(base_price - unit_cost), and every redeemer (probability = P(redeem)) is paid the discount
(discount_pct x base_price), also those who would have bought anyway:

    expected incremental margin = uplift x unit margin - discount cost x P(redeem)

(equivalently: incremental buyers earn the margin after the discount, anyway-buyers cost the
discount). The same formula is in SQL in campaign_targeting; tests check both on one case."""

from __future__ import annotations

import numpy as np


def expected_incremental_margin(uplift, p_redeem, base_price, unit_cost, discount_pct) -> np.ndarray:
    uplift, p_redeem = np.asarray(uplift, dtype=float), np.asarray(p_redeem, dtype=float)
    base_price, unit_cost = np.asarray(base_price, dtype=float), np.asarray(unit_cost, dtype=float)
    return uplift * (base_price - unit_cost) - np.asarray(discount_pct, dtype=float) * base_price * p_redeem
